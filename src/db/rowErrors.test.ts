import { describe, expect, it } from 'vitest';
import { rowLevelDbError } from './rowErrors.js';

const pgError = (code: string, message = 'refused'): Error => Object.assign(new Error(message), { code });

describe('rowLevelDbError', () => {
  it.each(['22001', '22P02', '23514', '23502', '54000'])('treats %s as a row the database refuses for its content', (code) => {
    expect(rowLevelDbError(pgError(code))).toEqual({ code, message: 'refused' });
  });

  it.each(['23505', '53100', '57014', '08006', '40001', '42P01', 'P0001', 'XX000', 'ECONNRESET'])('not %s', (code) => {
    expect(rowLevelDbError(pgError(code))).toBeUndefined();
  });

  it('finds the code on a wrapped error, and shortens a long message', () => {
    const wrapped = new Error('batch failed', { cause: pgError('54000', `index row size 6016 exceeds btree version 4 maximum 2704 ${'x'.repeat(500)}`) });
    const found = rowLevelDbError(wrapped);
    expect(found?.code).toBe('54000');
    expect(found?.message.length).toBe(200);
    expect(rowLevelDbError(new Error('no code'))).toBeUndefined();
  });
});

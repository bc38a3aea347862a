import { describe, expect, it } from 'vitest';
import { readBinaryCopy } from '../../test/helpers/binaryCopy.js';
import { BinaryCopyWriter, uuidBytes } from './binaryCopy.js';

describe('BinaryCopyWriter', () => {
  it('encodes each type in PostgreSQL binary send format, with NULLs and a trailer', () => {
    const w = new BinaryCopyWriter(64);
    w.row(7);
    w.timestamptz(Date.UTC(2000, 0, 1, 0, 0, 1) + 0.5);
    w.text('héllo');
    w.int16(404);
    w.int64(2 ** 40 + 3);
    w.float64(0.25);
    w.text(null);
    w.bytes(uuidBytes('00000000-0000-4000-8000-00000000000a'));
    w.row(2);
    w.timestamptz(Date.UTC(1995, 6, 1));
    w.int64(-5);
    const rows = readBinaryCopy(w.take());
    expect(rows).toHaveLength(2);
    const [ts, text, status, big, dbl, nul, uuid] = rows[0]!;
    expect(ts!.readBigInt64BE()).toBe(1_000_500n); // µs since 2000-01-01, the half millisecond kept
    expect(text!.toString('utf8')).toBe('héllo');
    expect(status!.readInt16BE()).toBe(404);
    expect(big!.readBigInt64BE()).toBe(BigInt(2 ** 40 + 3));
    expect(dbl!.readDoubleBE()).toBe(0.25);
    expect(nul).toBeNull();
    expect(uuid!.toString('hex')).toBe('000000000000400080000000000000' + '0a');
    expect(rows[1]![0]!.readBigInt64BE()).toBe(BigInt(Date.UTC(1995, 6, 1) - Date.UTC(2000, 0, 1)) * 1000n);
    expect(rows[1]![1]!.readBigInt64BE()).toBe(-5n);
  });

  it('grows past its initial size and starts afresh after take()', () => {
    const w = new BinaryCopyWriter(64);
    const long = 'x'.repeat(10_000);
    w.row(1);
    w.text(long);
    expect(readBinaryCopy(w.take())[0]![0]!.toString()).toBe(long);
    w.row(1);
    w.int32(7);
    expect(readBinaryCopy(w.take())).toEqual([[Buffer.from([0, 0, 0, 7])]]);
  });
});

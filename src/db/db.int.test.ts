import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, openTestDb } from '../../test/helpers/db.js';
import type { Db, Queryable } from './db.js';

const setting = async (q: Queryable, name: 'statement_timeout' | 'synchronous_commit' | 'autovacuum' | 'track_counts'): Promise<string> =>
  Object.values((await q.query<Record<string, string>>(`SHOW ${name}`)).rows[0]!)[0]!;

describeBackends('Db options on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb(kind); // statement_timeout 30 s
  });
  afterAll(async () => db?.close());

  // PGlite's one backend cannot be interrupted (singleBackend), so it has no timeout to lift and keeps the setting.
  const lifted = kind === 'postgres' ? '0' : '30s';

  it('an unbounded transaction runs without statement_timeout, and commits unflushed when asked; the next one is bounded again', async () => {
    const inside = await db.transaction(async (tx) => [await setting(tx, 'statement_timeout'), await setting(tx, 'synchronous_commit')], {
      unbounded: true, unflushedCommit: true,
    });
    expect(inside).toEqual([lifted, kind === 'postgres' ? 'off' : 'on']);
    for (let i = 0; i < 3; i++) {
      // Several times: a pooled connection handed back must not keep the settings.
      expect(await db.transaction(async (tx) => [await setting(tx, 'statement_timeout'), await setting(tx, 'synchronous_commit')])).toEqual(['30s', 'on']);
      expect(await setting(db, 'statement_timeout')).toBe('30s');
    }
  });

  it('an unbounded session runs without statement_timeout; sessions and queries after it are bounded', async () => {
    expect(await db.session((s) => setting(s, 'statement_timeout'), { unbounded: true })).toBe(lifted);
    expect(await db.session((s) => setting(s, 'statement_timeout'))).toBe('30s');
    expect(await setting(db, 'statement_timeout')).toBe('30s');
  });

  it('names its engine and says what it can do', async () => {
    expect(db.engine).toBe(kind);
    expect([db.singleBackend, db.soleProcess]).toEqual(kind === 'pglite' ? [true, true] : [false, false]);
    // PostgreSQL's autovacuum as the server runs it (off on some CI machines, this project's included), PGlite's never.
    const running = (await setting(db, 'autovacuum')) === 'on' && (await setting(db, 'track_counts')) === 'on';
    expect(db.autovacuum).toBe(kind === 'postgres' && running);
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, openTestDb } from '../../test/helpers/db.js';
import type { Db } from './db.js';
import { vacuumDueTables, type TableUpkeep } from './vacuum.js';

describeBackends('vacuumDueTables on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb(kind);
    // Each step's counts reach the statistics before the next step (else a VACUUM could see them late).
    const step = (sql: string) => db.exec(`${sql}; SELECT pg_stat_force_next_flush()`);
    for (const t of ['churn', 'grown', 'quiet']) {
      // PostgreSQL's own autovacuum must not do the work first.
      await step(`CREATE TABLE ${t} (n int) WITH (autovacuum_enabled = false)`);
    }
    await step('INSERT INTO grown SELECT generate_series(1, 10000)');
    await db.exec('VACUUM (ANALYZE) grown');
    // churn: half of its rows dead (past 50 + 20%); grown: 15% new rows since its last ANALYZE (past
    // 50 + 10%) but fewer than 1,000 + 20% since its last VACUUM; quiet: 10 new rows.
    await step('INSERT INTO churn SELECT generate_series(1, 10000); DELETE FROM churn WHERE n % 2 = 0');
    await step('INSERT INTO grown SELECT generate_series(1, 1500)');
    await step('INSERT INTO quiet SELECT generate_series(1, 10)');
  });
  afterAll(async () => db?.close());

  const stats = async (table: string) =>
    (await db.query<{ dead: number; vacuumed: boolean; analysed: boolean }>(
      `SELECT n_dead_tup::int AS dead, last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analysed
       FROM pg_stat_user_tables WHERE relname = $1`, [table],
    )).rows[0];

  it("runs VACUUM (ANALYZE) or ANALYZE where autovacuum's thresholds are passed, and nothing elsewhere", async () => {
    // PostgreSQL's statistics reach other sessions within a second of the commit.
    const ours = (done: TableUpkeep[]) => done.filter((d) => ['public.churn', 'public.grown', 'public.quiet'].includes(d.table));
    const done: TableUpkeep[] = [];
    await expect.poll(async () => {
      done.push(...ours(await vacuumDueTables(db, 100)));
      return done.map((d) => d.table).sort();
    }, { timeout: 10_000, interval: 300 }).toEqual(['public.churn', 'public.grown']);
    expect(done).toContainEqual({ table: 'public.churn', vacuum: true });
    expect(done).toContainEqual({ table: 'public.grown', vacuum: false });
    await expect.poll(() => stats('churn')).toEqual({ dead: 0, vacuumed: true, analysed: true });
    expect(await stats('quiet')).toMatchObject({ vacuumed: false, analysed: false });
    // Done once: nothing of ours is due any more.
    expect(ours(await vacuumDueTables(db, 100))).toEqual([]);
  });
});

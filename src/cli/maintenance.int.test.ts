import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateNginxTimed } from '../../bench/generate.js';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';

const DAY_MS = 86_400_000;

function logSpanning(startMs: number, lines: number, seed: number): string {
  // The mean gap between lines spreads them over about three days.
  return [...generateNginxTimed({ lines, seed, startMs, stepMs: (3 * DAY_MS) / lines })].join('');
}

describeBackends('maintenance on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, { RETENTION_DAYS: '30', ROLLUP_RETENTION_DAYS: String(Math.ceil((Date.now() - Date.UTC(2016, 0, 1)) / DAY_MS)), SEARCH_INDEX_IDLE_MS: '0' });
  });
  afterAll(async () => svc?.close());

  it('drops day partitions past RETENTION_DAYS whole, keeps recent ones, and indexes quiet partitions for search', async () => {
    const ancient = await svc.upload(logSpanning(Date.UTC(2010, 0, 1), 500, 3), { source: 'ancient' });
    const old = await svc.upload(logSpanning(Date.UTC(2020, 0, 1), 3000, 1), { source: 'old' });
    const recent = await svc.upload(logSpanning(Date.now() - 4 * DAY_MS, 3000, 2), { source: 'recent' });
    expect((await svc.waitForJob(ancient.body.job_id)).status).toBe('succeeded');
    expect((await svc.waitForJob(old.body.job_id)).status).toBe('succeeded');
    expect((await svc.waitForJob(recent.body.job_id)).status).toBe('succeeded');

    const partitions = async (): Promise<{ day: string; indexed: boolean }[]> =>
      (await svc.db.query<{ day: string; indexed: boolean }>(
        'SELECT day::text AS day, search_indexed_at IS NOT NULL AS indexed FROM log_partitions ORDER BY day',
      )).rows;
    await expect.poll(async () => (await partitions()).filter((p) => p.day < '2021-01-01'), { timeout: 90_000, interval: 500 }).toEqual([]);
    const kept = await partitions();
    expect(kept.length).toBeGreaterThanOrEqual(3);
    const stored = await svc.db.query<{ source: string; n: number }>('SELECT source, count(*)::int AS n FROM logs GROUP BY source');
    expect(stored.rows).toEqual([{ source: 'recent', n: 3000 }]);
    // Rollups outlive the raw rows (ROLLUP_RETENTION_DAYS reaches back to 2016): 2020 still charts, 2010 is gone.
    const rolled = await svc.db.query<{ source: string; n: number }>('SELECT source, sum(records)::int AS n FROM rollups_1d GROUP BY source ORDER BY source');
    expect(rolled.rows).toEqual([{ source: 'old', n: 3000 }, { source: 'recent', n: 3000 }]);
    const summary = await svc.getJson<{ total_requests: number; source_of_truth: string }>('/analytics/summary?source=old&start_date=2020-01-01&end_date=2020-02-01');
    expect(summary.body).toMatchObject({ total_requests: 3000, source_of_truth: 'rollups' });
    // Each remaining partition gets its trigram index once quiet; the planner then uses it for `q`.
    await expect.poll(async () => (await partitions()).every((p) => p.indexed), { timeout: 90_000, interval: 500 }).toBe(true);
    const indexes = await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname LIKE 'logs_p%_raw_trgm'`);
    expect(indexes.rows[0]!.n).toBe(kept.length);

    // An upload of old data again recreates its partitions rather than failing on a dropped one.
    const again = await svc.upload(logSpanning(Date.UTC(2020, 0, 1), 3000, 1), { source: 'old', force: 'true' });
    expect(await svc.waitForJob(again.body.job_id)).toMatchObject({ status: 'succeeded', lines_ingested: 3000 });
  }, 240_000);

  it('vacuums and analyses the tables itself where the database runs no autovacuum (PGlite; PostgreSQL with it off)', async () => {
    // The uploads above were compacted into hour and day rollups, deleting the parts merged.
    const vacuumed = async (): Promise<string[]> => (await svc.db.query<{ name: string }>(
      `SELECT relname::text AS name FROM pg_stat_user_tables WHERE relname IN ('rollups_1h', 'rollups_1d') AND last_vacuum IS NOT NULL ORDER BY 1`,
    )).rows.map((r) => r.name);
    if (svc.db.autovacuum) {
      expect(await vacuumed()).toEqual([]); // PostgreSQL's own autovacuum does it (last_autovacuum)
      return;
    }
    await expect.poll(vacuumed, { timeout: 90_000, interval: 500 }).toEqual(['rollups_1d', 'rollups_1h']);
  }, 120_000);
});

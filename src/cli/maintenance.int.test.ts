import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateNginxTimed } from '../../bench/generate.js';
import { BACKENDS } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';

const DAY_MS = 86_400_000;

function logSpanning(startMs: number, lines: number, seed: number): string {
  // The mean gap between lines spreads them over about three days.
  return [...generateNginxTimed({ lines, seed, startMs, stepMs: (3 * DAY_MS) / lines })].join('');
}

describe.each(BACKENDS)('maintenance on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, { RETENTION_DAYS: '30', SEARCH_INDEX_IDLE_MS: '0' });
  });
  afterAll(async () => svc?.close());

  it('drops day partitions past RETENTION_DAYS whole, keeps recent ones, and indexes quiet partitions for search', async () => {
    const old = await svc.upload(logSpanning(Date.UTC(2020, 0, 1), 3000, 1), { source: 'old' });
    const recent = await svc.upload(logSpanning(Date.now() - 4 * DAY_MS, 3000, 2), { source: 'recent' });
    expect((await svc.waitForJob(old.body.job_id)).status).toBe('succeeded');
    expect((await svc.waitForJob(recent.body.job_id)).status).toBe('succeeded');

    const partitions = async (): Promise<{ day: string; indexed: boolean }[]> =>
      (await svc.db.query<{ day: string; indexed: boolean }>(
        'SELECT day::text AS day, search_indexed_at IS NOT NULL AS indexed FROM log_partitions ORDER BY day',
      )).rows;
    await expect.poll(async () => (await partitions()).filter((p) => p.day < '2021-01-01'), { timeout: 30_000, interval: 500 }).toEqual([]);
    const kept = await partitions();
    expect(kept.length).toBeGreaterThanOrEqual(3);
    const stored = await svc.db.query<{ source: string; n: number }>('SELECT source, count(*)::int AS n FROM logs GROUP BY source');
    expect(stored.rows).toEqual([{ source: 'recent', n: 3000 }]);
    // Each remaining partition gets its trigram index once quiet; the planner then uses it for `q`.
    await expect.poll(async () => (await partitions()).every((p) => p.indexed), { timeout: 30_000, interval: 500 }).toBe(true);
    const indexes = await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname LIKE 'logs_p%_raw_trgm'`);
    expect(indexes.rows[0]!.n).toBe(kept.length);

    // An upload of old data again recreates its partitions rather than failing on a dropped one.
    const again = await svc.upload(logSpanning(Date.UTC(2020, 0, 1), 3000, 1), { source: 'old', force: 'true' });
    expect(await svc.waitForJob(again.body.job_id)).toMatchObject({ status: 'succeeded', lines_ingested: 3000 });
  });
});

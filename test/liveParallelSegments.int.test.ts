import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sealedMarkerOf } from '../src/ingest/jobs.js';
import { createSegmentJob, markSealed } from '../src/live/segments.js';
import { describeBackends } from './helpers/db.js';
import { generateNginxTimed } from '../bench/generate.js';
import { linesSummary, storedSummary, until } from './helpers/liveLines.js';
import { startTestService, type TestService } from './helpers/service.js';

/**
 * A flood leaves a source sealed segments far behind; two of them are parsed at once
 * (claimNextJob). Their batches cover the same minutes, so they upsert the same rollup rows: they must
 * take turns (never deadlock), and every line must count once, in the records and in the rollups.
 */
describeBackends("a source's segments parsed side by side on %s", (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, { INGEST_BATCH_ROWS: '500' });
  }, 60_000);
  afterAll(async () => svc?.close());

  it('stores each line once and sums the rollups exactly, segments covering the same minutes', async () => {
    const source = 'flood';
    // 200,000 lines over 200 s, dealt round-robin into two segments of ~21 MB: each is a flood's backlog (more than
    // LIVE_PARALLEL_BACKLOG_BYTES behind when sealed), and each batch of each touches the same minutes as the other's.
    const lines = [...generateNginxTimed({ lines: 200_000, seed: 31, startMs: Date.now() - 300_000, stepMs: 1 })].join('').split('\n').filter(Boolean);
    const segments = [0, 1].map((k) => lines.filter((_, i) => i % 2 === k));
    fs.mkdirSync(svc.config.liveDir, { recursive: true });
    const deadlocks = async (): Promise<number> => kind === 'postgres'
      ? (await svc.db.query<{ n: number }>('SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0]!.n
      : 0;
    const deadlocksBefore = await deadlocks();
    const files = segments.map((part, k) => {
      const file = path.join(svc.config.liveDir, `parallel-${k}.log`);
      fs.writeFileSync(file, `${part.join('\n')}\n`);
      fs.writeFileSync(sealedMarkerOf(file), '');
      return file;
    });
    // Queued together (one transaction), as a flood's sealed segments wait together: the runner's next claim sees
    // both. Oldest first: one transaction's rows share now(), so their creation times are set a millisecond apart.
    const ids = await svc.db.transaction(async (tx) => {
      const created: string[] = [];
      for (const [k, file] of files.entries()) {
        const id = await createSegmentJob(tx, { source, protocol: 'syslog-tcp', path: file, appender: 'a-process-gone', appenderMs: 60_000 });
        await markSealed(tx, id, fs.statSync(file).size);
        await tx.query("UPDATE ingest_jobs SET created_at = created_at + make_interval(secs => $2::double precision / 1000) WHERE id = $1", [id, k]);
        created.push(id);
      }
      return created;
    });

    const jobs = await until(
      async () => (await svc.db.query<{ status: string; error: string | null; started_ms: number; finished_ms: number | null }>(
        `SELECT status, error, extract(epoch FROM started_at)::float8 * 1000 AS started_ms, extract(epoch FROM finished_at)::float8 * 1000 AS finished_ms
         FROM ingest_jobs WHERE id = ANY($1::uuid[]) ORDER BY created_at`, [ids])).rows,
      (rows) => rows.every((r) => r.status === 'succeeded' || r.status === 'failed'),
      120_000,
    );
    expect(jobs.map((j) => [j.status, j.error])).toEqual(ids.map(() => ['succeeded', null]));
    // They ran at once (on PGlite too: their threads parse side by side, their transactions take turns).
    expect(jobs[1]!.started_ms).toBeLessThan(jobs[0]!.finished_ms!);

    // No deadlock on the rollup rows they share (PostgreSQL counts them; each would cost a deadlock_timeout and a retry).
    await new Promise((r) => setTimeout(r, 1_000)); // statistics reach pg_stat_database within a second
    expect(await deadlocks()).toBe(deadlocksBefore);
    expect(await storedSummary(svc, source)).toEqual(linesSummary(lines));
    // Each minute's rollups add up to that minute's records: nothing counted twice, nothing lost.
    const perMinute = async (sql: string): Promise<Record<string, number>> =>
      Object.fromEntries((await svc.db.query<{ minute: string; n: number }>(sql, [source])).rows.map((r) => [r.minute, r.n]));
    const records = await perMinute(`SELECT date_trunc('minute', timestamp)::text AS minute, count(*)::int AS n FROM logs WHERE source = $1 GROUP BY 1`);
    expect(Object.keys(records).length).toBeGreaterThan(1);
    expect(await perMinute('SELECT bucket::text AS minute, sum(records)::int AS n FROM rollups_1m WHERE source = $1 GROUP BY 1')).toEqual(records);
    expect(await perMinute('SELECT bucket::text AS minute, sum(records)::int AS n FROM source_rollups_1m WHERE source = $1 GROUP BY 1')).toEqual(records);
  }, 180_000);
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, openTestDb } from '../../test/helpers/db.js';
import { rollupSnapshot } from '../../test/helpers/rollups.js';
import { getSummary } from '../analytics/summary.js';
import type { Db } from '../db/db.js';
import { compactRollups, type CompactFailure } from './compactRollups.js';
import { RollupBuilder, upsertRollups, type RollupInput } from './rollups.js';

const rec = (iso: string, statusCode: number, latencyMs: number | null): RollupInput => ({
  timestamp: Date.parse(iso), method: 'GET', statusCode, level: statusCode >= 500 ? 'ERROR' : 'INFO', bytesSent: 100, latencyMs,
  clientIp: `10.0.0.${Math.floor(latencyMs ?? 0) % 3}`,
});

/**
 * Writes records as one batch would: one transaction, one upsertRollups. A new builder each time
 * (as another job would), unless one is given (as the next batch of the same job).
 */
async function batch(db: Db, records: [RollupInput, string | null][], b = new RollupBuilder('web')): Promise<void> {
  for (const [r, route] of records) b.add(r, route);
  await db.transaction(async (tx) => upsertRollups(tx, b.take()!));
}

describeBackends('rollup parts and compaction on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb(kind);
  });
  afterAll(async () => db?.close());

  it('batches append parts of hours and days; compaction merges them into what one batch would have written', async () => {
    const records: [RollupInput, string | null][] = [
      [rec('2026-10-01T10:00:05Z', 200, 4), '/a'],
      [rec('2026-10-01T10:00:50Z', 200, 9.5), '/a'],
      [rec('2026-10-01T10:30:00Z', 200, 0), '/a'],
      [rec('2026-10-01T11:00:01Z', 500, 300), '/a'],
      [rec('2026-10-01T11:00:02Z', 200, null), null],
      [rec('2026-10-01T23:59:59Z', 200, 4), '/b'],
    ];
    // Three batches, split inside a minute, an hour and the day.
    await batch(db, records.slice(0, 1));
    await batch(db, records.slice(1, 4));
    await batch(db, records.slice(4));
    const parts = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rollups_1d WHERE route = '/a'");
    expect(parts.rows[0]!.n).toBe(3); // (200, INFO) in two batches and (500, ERROR): three parts
    const sketchParts = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM client_sketches_1d');
    expect(sketchParts.rows[0]!.n).toBe(3); // one per batch

    const filter = { startMs: null, endMs: null, top: 5 };
    const before = await getSummary(db, filter);
    expect(await compactRollups(db)).toBeGreaterThan(0);
    expect(await getSummary(db, filter)).toEqual(before);
    const compacted = await rollupSnapshot(db);
    expect(compacted.rollups_1d!.filter((r) => (r as { route: string }).route === '/a')).toHaveLength(2);
    expect(compacted.client_sketches_1d).toHaveLength(1);
    expect(compacted.route_rollups_1d!.map((r) => (r as { route: string | null }).route)).toEqual([null, '/a', '/b']);
    expect(compacted.source_rollups_1d).toMatchObject([{ records: 6, requests: 6, errors: 1, latency_count: 5 }]);
    expect(await compactRollups(db)).toBe(0);

    // The same records in one batch, into emptied tables: identical rows.
    for (const table of [...Object.keys(compacted), 'rollup_dirty']) await db.exec(`DELETE FROM ${table}`);
    await batch(db, records);
    await compactRollups(db);
    expect(await rollupSnapshot(db)).toEqual(compacted);

    // The batches of one job (one builder): the minute they share is merged, not inserted twice.
    for (const table of [...Object.keys(compacted), 'rollup_dirty']) await db.exec(`DELETE FROM ${table}`);
    const job = new RollupBuilder('web');
    await batch(db, records.slice(0, 1), job);
    await batch(db, records.slice(1, 4), job);
    await batch(db, records.slice(4), job);
    await compactRollups(db);
    expect(await rollupSnapshot(db)).toEqual(compacted);
  });

  // Issue 13, #8: sums past the int64 range used to fail the minute upsert ("bigint out of range") or
  // every compaction pass of the bucket. These go through the code directly: the parse layer no longer
  // lets such values in (src/api/uploadBounds.int.test.ts), and this is the net under it.
  const INT8_MAX = '9223372036854775807';

  it('sums past the int64 range saturate: two jobs in one minute upsert it, and compaction merges their hours', async () => {
    // 10 records of 5 × 10^14 ms per job: 5 × 10^18 µs each, within int64; both together, 10^19, beyond it.
    const job = (second: number): [RollupInput, string | null][] =>
      Array.from({ length: 10 }, (_, i) => [rec(`2026-10-02T10:00:${String(second + i).padStart(2, '0')}Z`, 200, 5e14), '/slow']);
    await batch(db, job(0));
    await batch(db, job(20)); // another builder (another job): its minute collides with the stored one and is merged
    const sums = async (table: string): Promise<string[]> =>
      (await db.query<{ s: string }>(`SELECT latency_sum_us::text AS s FROM ${table} WHERE bucket >= '2026-10-02' AND bucket < '2026-10-03' ORDER BY 1`)).rows.map((r) => r.s);
    expect(await sums('rollups_1m')).toEqual([INT8_MAX]);
    expect(await sums('source_rollups_1m')).toEqual([INT8_MAX]);
    expect(await sums('rollups_1h')).toEqual(['5000000000000000000', '5000000000000000000']); // two parts
    const failures: CompactFailure[] = [];
    expect(await compactRollups(db, { quietMs: 0, maxDelayMs: 0, onBucketFailed: (f) => failures.push(f) })).toBe(2);
    expect(failures).toEqual([]);
    for (const table of ['rollups_1h', 'rollups_1d', 'route_rollups_1h', 'route_rollups_1d', 'source_rollups_1h', 'source_rollups_1d']) {
      expect(await sums(table), table).toEqual([INT8_MAX]);
    }
    const counts = await db.query<{ n: number }>("SELECT records::int AS n FROM rollups_1d WHERE bucket = '2026-10-02'");
    expect(counts.rows).toEqual([{ n: 20 }]); // the other sums are exact
  });

  it('a bucket whose compaction fails is recorded and skipped, the others are compacted, and it is retried after a back-off', async () => {
    const day = '2026-10-03';
    // Two jobs: each hour in two parts.
    await batch(db, [[rec(`${day}T10:00:00Z`, 200, 1), '/bad'], [rec(`${day}T11:00:00Z`, 200, 3), '/ok']]);
    await batch(db, [[rec(`${day}T10:00:01Z`, 200, 2), '/bad'], [rec(`${day}T11:00:01Z`, 200, 4), '/ok']]);
    // Only the merged rows of the 10:00 hour break this (NOT VALID: the parts stored already are not checked).
    await db.exec("ALTER TABLE rollups_1h ADD CONSTRAINT test_no_bad_route CHECK (route IS DISTINCT FROM '/bad') NOT VALID");
    const dirty = async () =>
      (await db.query<{ rollup_table: string; bucket: string; failures: number; error: string | null; wait_s: number | null }>(
        `SELECT rollup_table, bucket, failures, error, extract(epoch FROM retry_at - failed_at)::int AS wait_s
         FROM rollup_dirty WHERE bucket >= $1::date AND bucket < $1::date + 1 ORDER BY bucket, rollup_table`, [day],
      )).rows;
    const filter = { startMs: Date.parse(`${day}T00:00:00Z`), endMs: Date.parse(`${day}T23:59:59Z`), top: 5 };
    const before = await getSummary(db, filter);
    const failures: CompactFailure[] = [];
    const compact = () => compactRollups(db, { quietMs: 0, maxDelayMs: 0, onBucketFailed: (f) => failures.push(f) });
    try {
      expect(await compact()).toBe(2); // the 11:00 hour and the day
      expect(failures).toEqual([{
        table: 'rollups_1h', bucket: `${day}T10:00:00Z`, error: expect.stringMatching(/test_no_bad_route/) as string, failures: 1, retryAt: expect.any(String) as string,
      }]);
      expect(await dirty()).toEqual([{ rollup_table: 'rollups_1h', bucket: `${day}T10:00:00Z`, failures: 1, error: failures[0]!.error, wait_s: 60 }]);
      const rows = await db.query<{ hour: string; n: number }>(
        `SELECT to_char(bucket AT TIME ZONE 'UTC', 'HH24') AS hour, count(*)::int AS n FROM rollups_1h WHERE bucket >= $1::date AND bucket < $1::date + 1 GROUP BY 1 ORDER BY 1`, [day],
      );
      expect(rows.rows).toEqual([{ hour: '10', n: 2 }, { hour: '11', n: 1 }]); // 10:00 still in its two parts; 11:00 merged
      expect(await getSummary(db, filter)).toEqual(before); // an uncompacted bucket answers the same

      // Not retried before its time; then retried, failing again with a longer wait.
      expect(await compact()).toBe(0);
      expect(failures).toHaveLength(1);
      await db.exec("UPDATE rollup_dirty SET retry_at = now() - interval '1 second'");
      expect(await compact()).toBe(0);
      expect(failures.map((f) => f.failures)).toEqual([1, 2]);
      expect((await dirty()).map((d) => d.wait_s)).toEqual([120]);
    } finally {
      await db.exec('ALTER TABLE rollups_1h DROP CONSTRAINT IF EXISTS test_no_bad_route');
    }
    // Once the cause is gone, its next try compacts it.
    await db.exec("UPDATE rollup_dirty SET retry_at = now() - interval '1 second'");
    expect(await compact()).toBe(1);
    expect(await dirty()).toEqual([]);
    expect(await getSummary(db, filter)).toEqual(before);
  });

  it("today's day bucket is merged but its clients are recounted only once the day is over (a live day's recount would hold every batch back)", async () => {
    const now = Date.now();
    const dayStart = now - (now % 86_400_000);
    const today = new Date(dayStart).toISOString();
    // Inside today even in its first two seconds.
    const at = (ms: number): string => new Date(Math.max(ms, dayStart)).toISOString();
    await batch(db, [[rec(at(now - 2_000), 200, 1), '/live']]);
    await batch(db, [[rec(at(now - 1_000), 500, 2), '/live']]);
    // Lists a compaction of the day counted earlier (a quiet spell): stale once the day has more rows.
    await db.query("INSERT INTO client_top_floors_1d (bucket, source, floor) VALUES ($1, 'web', 0)", [today]);
    // The day's marks: in its first hour, the hour bucket's mark has the same instant.
    const marks = async () => (await db.query<{ rollup_table: string }>(
      "SELECT rollup_table FROM rollup_dirty WHERE bucket = $1 AND rollup_table LIKE '%\\_1d' ORDER BY rollup_table", [today],
    )).rows.map((r) => r.rollup_table);
    expect(await marks()).toEqual(['rollups_1d']);
    expect(await compactRollups(db, { quietMs: 0, maxDelayMs: 0 })).toBeGreaterThanOrEqual(1);
    const dayRows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM rollups_1d WHERE bucket = $1 AND route = '/live'", [today]);
    expect(dayRows.rows[0]!.n).toBe(2); // (200, INFO) and (500, ERROR), each merged into one row
    // No lists for today (queries read its clients from the raw rows), and a mark that waits for the day's end.
    expect((await db.query('SELECT 1 FROM client_top_floors_1d WHERE bucket = $1', [today])).rows).toEqual([]);
    expect(await marks()).toEqual(['client_tops_1d']);
    expect(await compactRollups(db, { quietMs: 0, maxDelayMs: 0 })).toBe(0);
    // The same mark for a day that is over is taken (the recount), and cleared.
    await db.exec("UPDATE rollup_dirty SET bucket = bucket - interval '2 days' WHERE rollup_table = 'client_tops_1d'");
    expect(await compactRollups(db, { quietMs: 0, maxDelayMs: 0 })).toBe(1);
    expect(await db.query("SELECT 1 FROM rollup_dirty WHERE rollup_table = 'client_tops_1d'").then((r) => r.rows)).toEqual([]);
  });
});

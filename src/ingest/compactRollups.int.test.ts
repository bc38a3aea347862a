import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDb } from '../../test/helpers/db.js';
import { rollupSnapshot } from '../../test/helpers/rollups.js';
import { getSummary } from '../analytics/summary.js';
import type { Db } from '../db/db.js';
import { compactRollups } from './compactRollups.js';
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

describe.each(BACKENDS)('rollup parts and compaction on %s', (kind) => {
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

    const filter = { startMs: null, endMs: null, source: null, top: 5 };
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
});

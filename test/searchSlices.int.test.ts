import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateNginxTimed } from '../bench/generate.js';
import { indexClosedSlices, indexQuietPartitions, SEARCH_SLICE_MS } from '../src/search/searchIndexer.js';
import { decodeCursor, searchLogs } from '../src/search/searchLogs.js';
import { describeBackends } from './helpers/db.js';
import { startTestService, type TestService } from './helpers/service.js';

const DAY = '2026-11-20';
/** "Now", for the indexer: 10:30 on the day the lines were logged, which is then the partition that holds the present. */
const NOW_MS = Date.parse(`${DAY}T10:30:00Z`);

describeBackends('substring search on a partition that still grows, on %s', (kind) => {
  let svc: TestService;
  const lines = [...generateNginxTimed({ lines: 20_000, seed: 9, startMs: Date.parse(`${DAY}T08:00:00Z`), stepMs: 180 }) /* 08:00 to about 09:00 */].join('').split('\n').filter(Boolean);
  beforeAll(async () => {
    // The whole-partition build held off, so the slices are what serves this partition.
    svc = await startTestService(kind, { SEARCH_INDEX_IDLE_MS: '86400000' });
    const up = await svc.upload(`${lines.join('\n')}\n`, { source: 'slices' });
    await svc.waitForJob(up.body.job_id);
    // Slices serve a partition whose rows were written before search blocks (migration 0021): this one, as if it were.
    await svc.db.query('UPDATE log_partitions SET search_blocks = false WHERE day = $1::date', [DAY]);
  }, 120_000);
  afterAll(async () => svc?.close());

  const expected = (needle: string): number => lines.filter((l) => l.toLowerCase().includes(needle.toLowerCase())).length;
  const search = async (q: string): Promise<number> => {
    let n = 0;
    let cursor: string | undefined;
    do {
      const page = await searchLogs(svc.db, { startMs: Date.parse(`${DAY}T00:00:00Z`), endMs: Date.parse(`${DAY}T23:59:59Z`), q }, { limit: 1000, ...(cursor ? { cursor: decodeCursor(cursor) } : {}) });
      n += page.items.length;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return n;
  };

  it('indexes each closed slice of the present partition (PostgreSQL), searches each with its own bounds, and finds exactly what a scan finds', async () => {
    const built = await indexClosedSlices(svc.db, 100, undefined, NOW_MS);
    if (kind === 'pglite') {
      // One backend: a build would stop everything; the partition waits for its whole index.
      expect(built).toEqual([]);
    } else {
      // 08:00 (the first line's slice) to 10:15, the last slice that ended a minute before "now".
      expect(built).toHaveLength((Date.parse(`${DAY}T10:15:00Z`) - Date.parse(`${DAY}T08:00:00Z`)) / SEARCH_SLICE_MS);
      expect(await indexClosedSlices(svc.db, 100, undefined, NOW_MS)).toEqual([]);
      // A slice's own bounds let the planner use its index (once it knows the partition's rows).
      await svc.db.query('ANALYZE logs_p20261120');
      const plan = await svc.db.query<{ 'QUERY PLAN': string }>(
        'EXPLAIN SELECT id FROM logs WHERE raw_log ILIKE $1 AND timestamp >= $2::timestamptz AND timestamp < $3::timestamptz',
        ['%term1234&%', `${DAY}T08:30:00.000Z`, `${DAY}T08:45:00.000Z`]);
      expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Bitmap Index Scan on logs_p20261120_trgm_s200830/);
    }
    for (const q of ['term1234&', 'GET /static/app.7.js', '/api/orders/', 'no-such-needle']) expect([q, await search(q)]).toEqual([q, expected(q)]);
  }, 120_000);

  it('drops the slices once the present has moved on and the partition has its whole index', async () => {
    const indexed = await indexQuietPartitions(svc.db, 0, 4, undefined, NOW_MS + 2 * 86_400_000);
    expect(indexed).toEqual(['logs_p20261120']);
    expect((await svc.db.query('SELECT 1 FROM log_search_slices')).rows).toEqual([]);
    const left = await svc.db.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'logs_p20261120' AND indexname LIKE '%trgm%'");
    expect(left.rows.map((r) => r.indexname)).toEqual(['logs_p20261120_raw_trgm']);
    expect(await search('term1234&')).toBe(expected('term1234&'));
  }, 120_000);
});

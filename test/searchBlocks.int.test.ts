import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateNginxTimed } from '../bench/generate.js';
import { indexQuietPartitions } from '../src/search/searchIndexer.js';
import { decodeCursor, searchLogs } from '../src/search/searchLogs.js';
import { describeBackends } from './helpers/db.js';
import { startTestService, type TestService } from './helpers/service.js';

const DAY = '2026-11-24';
const DAY_START = Date.parse(`${DAY}T00:00:00Z`);

describeBackends('substring search through the filters of record blocks, on %s', (kind) => {
  let svc: TestService;
  const generated = [...generateNginxTimed({ lines: 30_000, seed: 21, startMs: Date.parse(`${DAY}T06:00:00Z`), stepMs: 500 })].join('').split('\n').filter(Boolean);
  // A few lines that only case folding, or a non-ASCII neighbour, lets a search find.
  const special = [
    `10.9.9.9 - - [24/Nov/2026:09:00:01 +0000] "GET /Needle-IN-A-Haystack?x=1 HTTP/1.1" 200 12 "-" "curl/8.5.0" 0.001 0.001`,
    `10.9.9.9 - - [24/Nov/2026:09:00:02 +0000] "GET /caf\u00e9/CAF\u00c9/\u212aelvin HTTP/1.1" 404 12 "-" "curl/8.5.0" 0.001 0.001`,
    `10.9.9.9 - - [24/Nov/2026:09:00:03 +0000] "GET /\u0130stanbul HTTP/1.1" 500 12 "-" "Mozilla/5.0 \u{1F600} emoji" 0.001 0.001`,
  ];
  // A rare word, in 40 lines of each upload: a few blocks of the day may hold it, read through pages of 7.
  const rare = (at: number): string[] => Array.from({ length: 40 }, (_, i) => `10.8.8.8 - - [24/Nov/2026:${at}:00:${String(i).padStart(2, '0')} +0000] "GET /xyzzy/${i} HTTP/1.1" 200 1 "-" "curl/8.5.0" 0.001 0.001`);
  const lines = [...generated.slice(0, 10_000), ...special, ...rare(10), ...generated.slice(10_000, 25_000), ...rare(12), ...generated.slice(25_000)];
  beforeAll(async () => {
    // No whole-partition index: the blocks are what serves this day's substrings.
    svc = await startTestService(kind, { SEARCH_INDEX_IDLE_MS: '86400000' });
    // Two uploads, so two jobs' blocks interleave in time.
    for (const [i, part] of [lines.slice(0, 20_000), lines.slice(20_000)].entries()) {
      const up = await svc.upload(`${part.join('\n')}\n`, { source: `blocks-${i}` });
      await svc.waitForJob(up.body.job_id);
    }
  }, 120_000);
  afterAll(async () => svc?.close());

  /** Every matching row's id, newest first, page by page. */
  const search = async (q: string, limit = 1000, startMs = DAY_START, endMs = DAY_START + 86_400_000): Promise<number[]> => {
    const ids: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await searchLogs(svc.db, { startMs, endMs, q }, { limit, ...(cursor ? { cursor: decodeCursor(cursor) } : {}) });
      ids.push(...page.items.map((r) => r.id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return ids;
  };
  /** The same search as a scan of the rows: the partition as one written before blocks. */
  const scanned = async (q: string, limit?: number, startMs?: number, endMs?: number): Promise<number[]> => {
    await svc.db.query('UPDATE log_partitions SET search_blocks = false WHERE day = $1::date', [DAY]);
    try {
      return await search(q, limit, startMs, endMs);
    } finally {
      await svc.db.query('UPDATE log_partitions SET search_blocks = true WHERE day = $1::date', [DAY]);
    }
  };

  it('writes blocks that cover every stored row, each with its job, line range and time range', async () => {
    const uncovered = await svc.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM logs l WHERE l.timestamp >= $1::timestamptz AND NOT EXISTS (
         SELECT 1 FROM log_search_blocks b WHERE b.job_id = l.job_id AND l.line_no BETWEEN b.first_line AND b.last_line
           AND l.timestamp BETWEEN b.min_ts AND b.max_ts)`, [`${DAY}T00:00:00Z`]);
    expect(uncovered.rows[0]!.n).toBe(0);
    const blocks = await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM log_search_blocks');
    expect(blocks.rows[0]!.n).toBeGreaterThanOrEqual(2);
  });

  it('finds exactly what a scan finds, in the same order and pages, for rare, common, folded and non-ASCII substrings', async () => {
    const cases: [string, number | null][] = [
      ['needle-in-a-haystack', 1], ['NEEDLE-in', 1], ['caf\u00e9/caf\u00e9', 1], ['kelvin', 1], ['istanbul', 1], ['\u{1F600} EMOJI', 1],
      ['no-such-substring-7z', 0], ['term1234&', null], ['GET /static/app.7.js', null], ['" 500 ', null], ['ab', null],
    ];
    for (const [q, n] of cases) {
      const viaBlocks = await search(q);
      expect([q, viaBlocks]).toEqual([q, await scanned(q)]);
      if (n !== null) expect([q, viaBlocks.length]).toEqual([q, n]);
    }
    // Pages of 7, across blocks and both jobs (and, for a common word, along the rows); a window of the day.
    expect(await search('XYZZY', 7)).toHaveLength(80);
    for (const q of ['xyzzy', '" 500 ', 'term12']) expect([q, await search(q, 7)]).toEqual([q, await scanned(q, 7)]);
    const [from, to] = [Date.parse(`${DAY}T07:00:00Z`), Date.parse(`${DAY}T08:30:00Z`)];
    expect(await search('" 404 ', 25, from, to)).toEqual(await scanned('" 404 ', 25, from, to));
  }, 120_000);

  it("lets the day's blocks go once the partition has its whole index, and finds the same through it", async () => {
    const before = await search('" 500 ');
    // The filters are what these searches read: emptied, they find nothing, until the whole index is built.
    await svc.db.query(`UPDATE log_search_blocks SET bloom = decode(repeat('00', 2048), 'hex')`);
    expect(await search('needle-in-a-haystack')).toEqual([]);
    expect(await indexQuietPartitions(svc.db, 0, 4, undefined, DAY_START + 2 * 86_400_000)).toEqual(['logs_p20261124']);
    expect((await svc.db.query('SELECT 1 FROM log_search_blocks')).rows).toEqual([]);
    expect(await search('" 500 ')).toEqual(before);
    expect(await search('needle-in-a-haystack')).toHaveLength(1);
  }, 120_000);
});

/**
 * Issue 13, defect 3: an upload with one line per day over decades made a partition per day (2,188
 * from a 157 KB file; ~9,500 here), and every unfiltered query then planned over, and locked, all of
 * them. Now implausible lines are rejected, far days share month partitions, and readers walk the
 * partitions a few at a time. A line every third day keeps the test quick: every month still has data.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getSummary } from '../src/analytics/summary.js';
import type { Queryable } from '../src/db/db.js';
import { dropPartitionsBefore } from '../src/db/retention.js';
import { rebuildRollups, rebuildRoutes } from '../src/ingest/rebuildRollups.js';
import { RouteNormaliser } from '../src/parse/routes.js';
import { searchLogs, type LogRow } from '../src/search/searchLogs.js';
import { describeBackends } from './helpers/db.js';
import { compactAllRollups, rollupSnapshot } from './helpers/rollups.js';
import { startTestService, type TestService } from './helpers/service.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;
const FIRST_DAY = Date.UTC(2000, 0, 1);
const END = Date.UTC(2026, 0, 1);

function line(ms: number, i: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  const time = `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  const status = i % 7 === 0 ? 503 : i % 5 === 0 ? 404 : 200;
  return `10.0.${i % 7}.${i % 13} - - [${time}] "GET /api/items/${i % 50} HTTP/1.1" ${status} ${i % 900} "-" "probe/${i % 3}"`;
}

/**
 * A line every week of 2000–2025 (every month of 26 years holds data, and the test stays quick: each
 * hour with data costs rollup and compaction work) at a time that moves through the day, every tenth
 * one with a second line at the same second (the keyset's id decides their order); a line from an
 * unset clock (1970) and one from the future (2099) after the sample of 200 lines that sets the
 * anchor (2001-09).
 */
function manyDaysLog(): { text: string; lines: number } {
  const lines: string[] = [];
  for (let day = FIRST_DAY, i = 0; day < END; day += 7 * DAY_MS, i++) {
    const t = day + ((i * 7919) % 86_400) * 1000;
    lines.push(line(t, i));
    if (i % 10 === 0) lines.push(line(t, i + 1));
  }
  lines.splice(700, 0, line(Date.UTC(1970, 0, 1, 0, 0, 7), 0));
  lines.splice(1000, 0, line(Date.UTC(2099, 5, 1, 12), 1));
  return { text: `${lines.join('\n')}\n`, lines: lines.length };
}

/** Each of the 26 × 12 months of the span at most once, and day partitions only in the ≤ 6 months the anchor's ±62 days touch. */
const PARTITION_BOUND = 26 * 12 + 6 * 31;

const ids = (rows: { id: number }[]): number[] => rows.map((r) => Number(r.id));

describeBackends('a file with a line a week over 26 years on %s', (kind) => {
  let svc: TestService;
  let jobId: string;
  let fileLines: number;
  beforeAll(async () => {
    // No background index builds: on PGlite they hold the one backend while the test reads. Substring and
    // exact searches over all 26 years: the embedded database's scan bound is lifted (its own test: rawQueries).
    svc = await startTestService(kind, { SEARCH_INDEX_IDLE_MS: '3600000', EMBEDDED_SCAN_MAX_DAYS: '0' });
    const log = manyDaysLog();
    fileLines = log.lines;
    const up = await svc.upload(log.text, { source: 'decades' });
    expect(up.status).toBe(202);
    jobId = up.body.job_id;
  }, 60_000);
  afterAll(async () => svc?.close());

  it('rejects the 1970 and 2099 lines with their reasons, stores the rest, and the counts add up', async () => {
    const job = await svc.waitForJob(jobId, 240_000);
    expect(job.status).toBe('succeeded');
    expect(job.lines_ingested + job.lines_rejected + job.lines_skipped).toBe(fileLines);
    expect(job.lines_rejected).toBe(2);
    const rejected = await svc.getJson<{ items: { line_no: number; code: string }[] }>(`/ingest/jobs/${jobId}/rejected`);
    expect(rejected.body.items.map((r) => [r.line_no, r.code])).toEqual([[701, 'time_decades_early'], [1001, 'time_in_future']]);
  }, 240_000);

  it('creates a bounded number of partitions: months far from the anchor, days near it', async () => {
    // On 7311f87: a partition per day with data, 1,359.
    const attached = await svc.db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'logs'::regclass");
    expect(attached.rows[0]!.n).toBeLessThanOrEqual(PARTITION_BOUND);
    const parts = await svc.db.query<{ day: string; end_day: string }>(
      'SELECT day::text AS day, end_day::text AS end_day FROM log_partitions ORDER BY day',
    );
    expect(parts.rows.length).toBe(attached.rows[0]!.n);
    const days = parts.rows.filter((p) => Date.parse(p.end_day) - Date.parse(p.day) === DAY_MS);
    expect(days.length).toBeGreaterThanOrEqual(Math.floor(125 / 7));
    // All near the anchor: within the ≤ 6 months around it.
    expect(Date.parse(days.at(-1)!.day) - Date.parse(days[0]!.day)).toBeLessThan(186 * DAY_MS);
    expect(parts.rows.length - days.length).toBeGreaterThan(300);
    const stored = await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM logs');
    expect(stored.rows[0]!.n).toBe(fileLines - 2);
  });

  it('GET /logs pages through every record exactly once, newest first, as one ORDER BY over logs', async () => {
    const sql = await svc.db.query<{ id: number }>('SELECT id FROM logs ORDER BY timestamp DESC, id DESC');
    const first = await svc.getJson<{ items: LogRow[]; next_cursor: string | null }>('/logs?limit=1');
    expect(ids(first.body.items)).toEqual([sql.rows[0]!.id].map(Number));
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: LogRow[]; next_cursor: string | null } =
        (await svc.getJson<{ items: LogRow[]; next_cursor: string | null }>(`/logs?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).body;
      seen.push(...ids(page.items));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids(sql.rows));
  }, 120_000);

  it('a filtered search across many partitions equals the same filter over logs', async () => {
    const sql = await svc.db.query<{ id: number }>(
      `SELECT id FROM logs WHERE status_code BETWEEN 500 AND 599 AND endpoint LIKE '/api/items/1%' ORDER BY timestamp DESC, id DESC`,
    );
    expect(sql.rows.length).toBeGreaterThan(20);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/logs?status_code=5xx&endpoint=/api/items/1*&start_date=2001-06-15T00:00:00Z&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await svc.getJson<{ items: LogRow[]; next_cursor: string | null }>(url)).body;
      seen.push(...ids(page.items));
      cursor = page.next_cursor;
    } while (cursor);
    const inRange = await svc.db.query<{ id: number }>(
      `SELECT id FROM logs WHERE status_code BETWEEN 500 AND 599 AND endpoint LIKE '/api/items/1%' AND timestamp >= '2001-06-15T00:00:00Z'
       ORDER BY timestamp DESC, id DESC`,
    );
    expect(seen).toEqual(ids(inRange.rows));
  }, 120_000);

  it('a search walks the partitions newest first, each statement bounded to at most 32 of them', async () => {
    const statements: { sql: string; params: readonly unknown[] }[] = [];
    const recorder: Queryable = {
      query: (sql, params) => {
        statements.push({ sql, params: params ?? [] });
        return svc.db.query(sql, params);
      },
      copyFrom: (...args) => svc.db.copyFrom(...args),
      exec: (sql) => svc.db.exec(sql),
    };
    // With an ASCII trigram, the blocks' filters rule every partition out: no statement reads `logs`.
    expect(await searchLogs(recorder, { startMs: null, endMs: null, q: 'no-such-needle' }, { limit: 50 })).toEqual({ items: [], next_cursor: null });
    expect(statements.filter((s) => /\bFROM logs\b/.test(s.sql))).toEqual([]);
    expect(statements.filter((s) => /\bFROM log_search_blocks\b/.test(s.sql)).length).toBeLessThanOrEqual(Math.ceil(1_400 / 32) + 6);
    statements.length = 0;
    // Nothing matches, and the partitions are read row by row (as ones written before blocks): the walk goes through every partition.
    await svc.db.query('UPDATE log_partitions SET search_blocks = false');
    const res = await searchLogs(recorder, { startMs: null, endMs: null, q: 'no-such-needle' }, { limit: 50 }).finally(
      () => svc.db.query('UPDATE log_partitions SET search_blocks = true'));
    expect(res).toEqual({ items: [], next_cursor: null });
    const overLogs = statements.filter((s) => /\bFROM logs\b/.test(s.sql));
    const total = (await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM log_partitions')).rows[0]!.n;
    const sizes: number[] = [];
    let previousFrom: string | null = null;
    for (const [i, s] of overLogs.entries()) {
      // The chunk's bounds: [from, to), open at the newest end of the first and the oldest end of the last.
      const bound = (op: string): string | null => {
        const m = new RegExp(`timestamp ${op} \\$(\\d+)::timestamptz`).exec(s.sql);
        return m ? String(s.params[Number(m[1]) - 1]) : null;
      };
      const [from, to] = [bound('>='), bound('<')];
      expect(to === null, s.sql).toBe(i === 0);
      expect(from === null, s.sql).toBe(i === overLogs.length - 1);
      if (previousFrom !== null) expect(to! <= previousFrom).toBe(true); // newest first, no overlap
      previousFrom = from;
      const inChunk = await svc.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM log_partitions
         WHERE ($1::timestamptz IS NULL OR (end_day::timestamp AT TIME ZONE 'UTC') > $1::timestamptz)
           AND ($2::timestamptz IS NULL OR (day::timestamp AT TIME ZONE 'UTC') < $2::timestamptz)`,
        [from, to],
      );
      sizes.push(inChunk.rows[0]!.n);
    }
    expect(sizes.slice(0, 6)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(Math.max(...sizes)).toBe(32);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
  });

  it('extent, exact top clients and exact unique clients of an endpoint prefix equal the raw rows; a route\'s are not known', async () => {
    const sql = await svc.db.query<{ first: string; last: string }>('SELECT min(timestamp) AS first, max(timestamp) AS last FROM logs');
    const extent = await svc.getJson<{ first_timestamp: string; last_timestamp: string }>('/analytics/extent');
    expect(extent.body).toEqual({ first_timestamp: sql.rows[0]!.first, last_timestamp: sql.rows[0]!.last });
    const clients = await svc.getJson<{ items: { client_ip: string; count: number; errors: number }[]; exact: boolean }>(
      '/analytics/clients?exact=true&limit=20',
    );
    const rawClients = await svc.db.query<{ client_ip: string; count: number; errors: number }>(
      `SELECT client_ip, count(*)::int AS count, count(*) FILTER (WHERE status_code >= 500)::int AS errors FROM logs
       WHERE client_ip IS NOT NULL GROUP BY client_ip ORDER BY count DESC, client_ip COLLATE "C" LIMIT 20`,
    );
    expect(clients.body.exact).toBe(true);
    expect(clients.body.items.map(({ client_ip, count, errors }) => ({ client_ip, count, errors }))).toEqual(rawClients.rows);
    // A route's distinct clients over whole hours are not kept (addresses are per source): not known, not a scan.
    const byRoute = await getSummary(svc.db, { startMs: null, endMs: null, routes: ['/api/items/{id}'], top: 3 });
    expect(byRoute).toMatchObject({ unique_clients: null, unique_clients_error: null });
    // By endpoint the answer reads the raw rows anyway: counted exactly, partition chunk by chunk.
    const byEndpoint = await getSummary(svc.db, { startMs: null, endMs: null, endpoint: { value: '/api/items/', prefix: true }, top: 3 });
    const distinct = await svc.db.query<{ n: number }>("SELECT count(DISTINCT client_ip)::int AS n FROM logs WHERE endpoint LIKE '/api/items/%'");
    expect(distinct.rows[0]!.n).toBeGreaterThan(0);
    expect(byEndpoint).toMatchObject({ unique_clients: distinct.rows[0]!.n, unique_clients_error: 0 });
  });

  it('retention drops a month partition only once its whole month is past the horizon', async () => {
    const count = async (from: string, to: string): Promise<number> =>
      (await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM logs WHERE timestamp >= $1 AND timestamp < $2', [from, to])).rows[0]!.n;
    const february = await count('2000-02-01T00:00:00Z', '2000-03-01T00:00:00Z');
    expect(february).toBeGreaterThanOrEqual(4);
    expect(await dropPartitionsBefore(svc.db, '2000-02-15')).toEqual(['logs_m200001']);
    expect(await count('2000-01-01T00:00:00Z', '2000-02-01T00:00:00Z')).toBe(0);
    expect(await count('2000-02-01T00:00:00Z', '2000-03-01T00:00:00Z')).toBe(february);
    expect(await dropPartitionsBefore(svc.db, '2000-03-01')).toEqual(['logs_m200002']);
    expect(await count('2000-02-01T00:00:00Z', '2000-03-01T00:00:00Z')).toBe(0);
  });
});

describeBackends('rebuilds over month partitions on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, { SEARCH_INDEX_IDLE_MS: '3600000' });
    // 150 lines on 2005-01-10 (the anchor), then 40 lines over April to June: month partitions.
    const lines = [
      ...Array.from({ length: 150 }, (_, i) => line(Date.UTC(2005, 0, 10, 9) + i * 60_000, i)),
      ...Array.from({ length: 40 }, (_, i) => line(Date.UTC(2005, 3, 1, 12) + i * 2.2 * DAY_MS, i)),
    ];
    const up = await svc.upload(`${lines.join('\n')}\n`, { source: 'old' });
    expect(await svc.waitForJob(up.body.job_id)).toMatchObject({ status: 'succeeded', lines_ingested: 190 });
  }, 60_000);
  afterAll(async () => svc?.close());

  it('recomputed rollups and routes of days in month partitions equal what ingestion wrote', async () => {
    const tables = await svc.db.query<{ table_name: string }>('SELECT table_name FROM log_partitions ORDER BY day');
    expect(tables.rows.map((r) => r.table_name)).toEqual(['logs_p20050110', 'logs_m200504', 'logs_m200505', 'logs_m200506']);
    await compactAllRollups(svc.db);
    const before = await rollupSnapshot(svc.db);
    const range = { from: new Date('2005-01-01T00:00:00Z'), to: new Date('2005-07-01T00:00:00Z') };
    const rebuilt = await rebuildRollups(svc.db, range);
    // The days holding rows, found in each month partition by its time index (not its 30 days).
    const withRows = await svc.db.query<{ day: string }>(
      "SELECT DISTINCT (timestamp AT TIME ZONE 'UTC')::date::text AS day FROM logs ORDER BY 1",
    );
    expect(rebuilt.days).toEqual(withRows.rows.map((r) => r.day));
    expect(await rollupSnapshot(svc.db)).toEqual(before);

    const rule = await svc.inject({ method: 'POST', url: '/analytics/route-rules', payload: { pattern: '/api/items/*', template: '/api/items/{item}' } });
    expect(rule.statusCode).toBe(201);
    const routes = await rebuildRoutes(svc.db, new RouteNormaliser([{ pattern: '/api/items/*', template: '/api/items/{item}' }]), range);
    expect(routes.changed).toBe(190);
    const left = await svc.db.query<{ route: string; n: number }>('SELECT route, count(*)::int AS n FROM logs GROUP BY route');
    expect(left.rows).toEqual([{ route: '/api/items/{item}', n: 190 }]);
  }, 120_000);
});

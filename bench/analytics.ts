/**
 * The analytics section: after a large file is ingested, each /analytics endpoint over the full range
 * and over one day (p50 of 20 calls), next to the same question asked of the raw `logs` table in
 * plain SQL (count(*), GROUP BY, percentile_cont), and the ratio; then the same endpoints narrowed by
 * the record filter (status_code, level, method, route, a source list), each against its SQL with the
 * same WHERE, so that a filtered call's ratio reads beside the unfiltered one's.
 */
import type { Db } from '../src/db/db.js';
import { BENCH_HEADERS } from './serverProcess.js';
import { sleep, summarize, timeRuns, type Summary } from './stats.js';

export interface AnalyticsFigure {
  name: string;
  range: 'full' | 'day';
  api: Summary | null;
  sql: Summary | null;
  /** SQL p50 ÷ API p50: how many times faster the endpoint answers. */
  speedup: number | null;
  /** What the endpoint said it read. */
  sourceOfTruth: string | null;
  /** A cross-check of the answers (total requests or row counts), or why it failed. */
  check: { ok: boolean; detail: string };
}

interface Question {
  name: string;
  path: string;
  /** One or more statements asking the same of the raw rows; run one after another, timed together. */
  sql: (range: string, interval: string | null) => string[];
  /** Compares an API answer with the rows of the SQL's first statement. */
  check: (api: Record<string, unknown>, rows: Record<string, unknown>[]) => string | null;
}

const RANGE = '$RANGE';

const QUESTIONS: Question[] = [
  {
    name: 'summary',
    path: '/analytics/summary',
    sql: (range) => [
      `SELECT count(*) FILTER (WHERE status_code IS NOT NULL) AS total, count(*) FILTER (WHERE status_code >= 500) AS errors,
              count(*) FILTER (WHERE status_code BETWEEN 400 AND 499) AS client_errors,
              percentile_cont(ARRAY[0.5, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_ms) AS pct, avg(latency_ms), max(latency_ms),
              count(DISTINCT client_ip) AS clients, sum(bytes_sent), min(timestamp), max(timestamp)
       FROM logs WHERE ${range}`,
      `SELECT status_code, count(*) FROM logs WHERE ${range} GROUP BY 1`,
      `SELECT route, count(*), count(*) FILTER (WHERE status_code >= 500) FROM logs WHERE ${range} GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
    ],
    check: (api, rows) => (api.total_requests === rows[0]?.total ? null : `API total_requests ${String(api.total_requests)}, SQL ${String(rows[0]?.total)}`),
  },
  {
    name: 'traffic (auto interval)',
    path: '/analytics/traffic',
    sql: (range, interval) => [
      `SELECT date_bin('${interval}', timestamp, TIMESTAMPTZ '1970-01-01Z') AS b, count(*) AS n, count(*) FILTER (WHERE status_code >= 500),
              count(*) FILTER (WHERE status_code BETWEEN 400 AND 499), percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms)
       FROM logs WHERE ${range} GROUP BY 1 ORDER BY 1`,
    ],
    check: (api, rows) => {
      const series = api.series as { count: number }[];
      const apiTotal = series.reduce((a, p) => a + p.count, 0);
      const sqlTotal = rows.reduce((a, r) => a + Number(r.n), 0);
      return apiTotal === sqlTotal ? null : `API ${apiTotal} requests, SQL ${sqlTotal}`;
    },
  },
  {
    name: 'endpoints (sort=p95)',
    path: '/analytics/endpoints?sort=p95&limit=50',
    sql: (range) => [
      `SELECT route, count(*) AS n, count(*) FILTER (WHERE status_code >= 500), percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95, percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms),
              avg(latency_ms), max(latency_ms), sum(bytes_sent)
       FROM logs WHERE ${range} AND route IS NOT NULL GROUP BY route ORDER BY p95 DESC NULLS LAST LIMIT 50`,
    ],
    check: (api, rows) => {
      const items = api.items as { route: string }[];
      return items.length === rows.length ? null : `API ${items.length} routes, SQL ${rows.length}`;
    },
  },
  {
    name: 'status-codes',
    path: '/analytics/status-codes',
    sql: (range) => [`SELECT status_code, count(*) AS n FROM logs WHERE ${range} AND status_code IS NOT NULL GROUP BY 1`],
    check: (api, rows) => {
      const total = rows.reduce((a, r) => a + Number(r.n), 0);
      return api.total === total ? null : `API ${String(api.total)}, SQL ${total}`;
    },
  },
  {
    name: 'clients (top 20)',
    path: '/analytics/clients?limit=20',
    sql: (range) => [
      `SELECT client_ip, count(*) AS n, count(*) FILTER (WHERE status_code >= 500) FROM logs WHERE ${range} AND client_ip IS NOT NULL
       GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20`,
    ],
    check: (api, rows) => {
      const items = api.items as { client_ip: string; count: number; count_error_upper_bound: number }[];
      const sql = new Map(rows.map((r) => [String(r.client_ip), Number(r.n)]));
      if (api.exact === true) {
        return items.every((c, i) => c.client_ip === String(rows[i]?.client_ip) && c.count === Number(rows[i]?.n))
          ? null : `exact answer differs from SQL: API ${JSON.stringify(items.slice(0, 3))}`;
      }
      // An estimate: each count is a lower bound within its stated error, and the busiest address has at least the first count.
      const wrong = items.find((c) => sql.has(c.client_ip) && !(c.count <= sql.get(c.client_ip)! && sql.get(c.client_ip)! <= c.count + c.count_error_upper_bound));
      if (wrong) return `${wrong.client_ip}: API ${wrong.count} (+${wrong.count_error_upper_bound}), SQL ${sql.get(wrong.client_ip)}`;
      return Number(rows[0]?.n) >= (items[0]?.count ?? 0) ? null : `top client: API ${items[0]?.count}, SQL ${String(rows[0]?.n)}`;
    },
  },
];

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { headers: BENCH_HEADERS });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  return body;
}

/** Waits until the background compaction has merged every rollup part (rollup_dirty is empty). */
export async function waitForCompaction(db: Db, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM rollup_dirty');
    if (res.rows[0]!.n === 0) return;
    if (Date.now() > deadline) throw new Error(`rollup parts still not compacted after ${timeoutMs} ms`);
    await sleep(1000);
  }
}

export interface AnalyticsOptions {
  serverUrl: string;
  db: Db;
  /** The day asked about as "one day" (YYYY-MM-DD, UTC). */
  day: string;
  apiRuns: number;
  sqlRuns: number;
  log: (msg: string) => void;
}

/** Times every question over the full range and over one day, through the API and as plain SQL. */
export async function measureAnalytics(o: AnalyticsOptions): Promise<AnalyticsFigure[]> {
  const asked = [...QUESTIONS.map((question) => ({ question, filter: null })), ...await filteredQuestions(o.serverUrl)];
  const dayEnd = new Date(Date.parse(`${o.day}T00:00:00Z`) + 86_400_000).toISOString();
  const ranges = [
    { range: 'full' as const, query: '', where: 'true' },
    { range: 'day' as const, query: `start_date=${o.day}T00:00:00Z&end_date=${dayEnd}`, where: `timestamp >= '${o.day}T00:00:00Z' AND timestamp < '${dayEnd}'` },
  ];
  const out: AnalyticsFigure[] = [];
  for (const { question: q, filter } of asked) {
    const name = filter ? `${q.name} ?${filter.query}` : q.name;
    for (const r of ranges) {
      const query = [filter ? filter.query : '', r.query].filter(Boolean).join('&');
      const url = `${o.serverUrl}${q.path}${query ? `${q.path.includes('?') ? '&' : '?'}${query}` : ''}`;
      o.log(`analytics: ${name}, ${r.range} range`);
      const answer = await getJson(url); // also the warm-up
      const api = summarize(await timeRuns(o.apiRuns, () => getJson(url)));
      const interval = typeof answer.interval === 'string' ? toSqlInterval(answer.interval) : null;
      const where = filter ? `(${r.where}) AND (${filter.where})` : r.where;
      const statements = q.sql(RANGE, interval).map((s) => s.replaceAll(RANGE, where));
      let firstRows: Record<string, unknown>[] = [];
      const sql = summarize(await timeRuns(o.sqlRuns, async () => {
        for (const [i, s] of statements.entries()) {
          const res = await o.db.query<Record<string, unknown>>(s);
          if (i === 0) firstRows = res.rows;
        }
      }));
      const problem = q.check(answer, firstRows);
      out.push({
        name, range: r.range, api, sql,
        speedup: api && sql ? Math.round((sql.p50 / api.p50) * 10) / 10 : null,
        sourceOfTruth: typeof answer.source_of_truth === 'string' ? `${answer.source_of_truth}${answer.exact === false ? ' (estimate)' : ''}` : null,
        check: { ok: problem === null, detail: problem ?? 'answers agree' },
      });
    }
  }
  return out;
}

/** A record filter as the API takes it, and the same as SQL over the raw rows. */
interface BenchFilter {
  query: string;
  where: string;
}

/**
 * Routes by average latency: what a filter on status, level or method ranks by, since percentiles over
 * whole hours are kept per route and per source only (sort=p95 is then a 400).
 */
const ENDPOINTS_BY_AVG: Question = {
  name: 'endpoints (sort=avg)',
  path: '/analytics/endpoints?sort=avg&limit=50',
  sql: (range) => [
    `SELECT route, count(*) AS n, count(*) FILTER (WHERE status_code >= 500), avg(latency_ms) AS avg, max(latency_ms), sum(bytes_sent)
     FROM logs WHERE ${range} AND route IS NOT NULL GROUP BY route ORDER BY avg DESC NULLS LAST LIMIT 50`,
  ],
  check: (api, rows) => {
    const items = api.items as { route: string }[];
    return items.length === rows.length ? null : `API ${items.length} routes, SQL ${rows.length}`;
  },
};

const quote = (v: string): string => `'${v.replaceAll("'", "''")}'`;

/**
 * The filtered calls: each narrows an endpoint by one field of the record filter (the busiest route
 * and the stored sources are looked up first, through the API).
 */
async function filteredQuestions(serverUrl: string): Promise<{ question: Question; filter: BenchFilter }[]> {
  const question = (name: string): Question => QUESTIONS.find((q) => q.name.startsWith(name))!;
  const busiest = ((await getJson(`${serverUrl}/analytics/endpoints?limit=1`)).items as { route: string }[])[0]?.route ?? '/';
  const stored = ((await getJson(`${serverUrl}/analytics/sources`)).items as { source: string }[]).map((x) => x.source);
  // Two sources: the list form, whether the data has one source (then the second matches nothing) or more.
  const sources = [stored[0] ?? 'default', stored[1] ?? 'no-such-source'];
  return [
    { question: question('summary'), filter: { query: 'status_code=5xx', where: 'status_code BETWEEN 500 AND 599' } },
    { question: question('traffic'), filter: { query: 'level=ERROR', where: "log_level = 'ERROR'" } },
    { question: ENDPOINTS_BY_AVG, filter: { query: 'method=GET', where: "method = 'GET'" } },
    { question: question('summary'), filter: { query: `route=${encodeURIComponent(busiest)}`, where: `route = ${quote(busiest)}` } },
    {
      question: question('status-codes'),
      filter: { query: `source=${sources.map(encodeURIComponent).join(',')}`, where: `source IN (${sources.map(quote).join(', ')})` },
    },
  ];
}

/** `3h` → `3 hours` (the API's interval names as PostgreSQL intervals). */
function toSqlInterval(name: string): string {
  const m = /^(\d+)([mhd])$/.exec(name);
  if (!m) throw new Error(`unknown interval ${name}`);
  return `${m[1]} ${{ m: 'minutes', h: 'hours', d: 'days' }[m[2] as 'm' | 'h' | 'd']}`;
}

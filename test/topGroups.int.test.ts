import { afterAll, beforeAll, expect, it } from 'vitest';
import { collectEvidence } from '../src/alerts/evidence.js';
import { loadedRule, ruleSchema } from '../src/alerts/rule.js';
import { ENDPOINT_SORTS, getEndpoints, RANKED_HERE_BEYOND_LIMIT } from '../src/analytics/endpoints.js';
import { getTraffic } from '../src/analytics/traffic.js';
import type { Queryable } from '../src/db/db.js';
import { boundedBucketValueSql, BUCKET_INDEX_SQL } from '../src/domain/latencyHistogram.js';
import { describeBackends } from './helpers/db.js';
import { startTestService, type TestService } from './helpers/service.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const T0 = Date.UTC(2026, 9, 3, 0, 40, 0);
const HOUR = 3_600_000;
const ROUTES = 2500;
const CLIENTS = 1500;

function timeLocal(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** `/r/` and a word of letters for i (letters only: normalisation keeps it as it is). */
const route = (i: number): string => {
  let word = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) word = String.fromCharCode(97 + ((n - 1) % 26)) + word;
  return `/r/${word}`;
};

/** Thousands of routes and clients over three hours: 1–6 requests per route, a few busier ones, varied latencies and statuses. */
function generate(): string {
  let x = 99;
  const rnd = (): number => ((x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
  const lines: [number, string][] = [];
  for (let i = 0; i < ROUTES; i++) {
    const n = i % 97 === 0 ? 8 + (i % 5) : 1 + Math.floor(rnd() * 6);
    for (let k = 0; k < n; k++) {
      const ms = T0 + Math.floor(rnd() * 3 * HOUR);
      const status = rnd() < 0.1 ? 500 : rnd() < 0.1 ? 404 : 200;
      const latency = (0.001 + rnd() * (i % 13 === 0 ? 3 : 0.4)).toFixed(3);
      const client = `10.9.${Math.floor((i * 7 + k) % CLIENTS / 250)}.${(i * 7 + k) % 250}`;
      lines.push([ms, `${client} - - [${timeLocal(ms)}] "GET ${route(i)} HTTP/1.1" ${status} 10 "-" "ua" ${latency} ${latency}`]);
    }
  }
  return `${lines.sort((a, b) => a[0] - b[0]).map(([, l]) => l).join('\n')}\n`;
}

/** A Queryable that counts the rows its queries return to this process. */
function counting(db: Queryable): Queryable & { rows: number } {
  const c = {
    rows: 0,
    async query<R>(sql: string, params?: readonly unknown[]) {
      const res = await db.query<R>(sql, params);
      c.rows += res.rows.length;
      return res;
    },
    copyFrom: db.copyFrom.bind(db),
    exec: db.exec.bind(db),
  };
  return c;
}

describeBackends('top routes, clients and groups ranked in SQL on %s', (kind) => {
  let svc: TestService;
  // Seconds at both edges (raw rows), minutes, and whole hours.
  const startMs = T0 + 30_500;
  const endMs = T0 + 3 * HOUR - 29_500;
  const range = [new Date(startMs).toISOString(), new Date(endMs).toISOString()];

  beforeAll(async () => {
    svc = await startTestService(kind);
    const res = await svc.upload(generate(), { source: 'many', format: 'nginx_combined_timed' });
    expect(res.status).toBe(202);
    expect((await svc.waitForJob(res.body.job_id, 120_000)).status).toBe('succeeded');
  }, 180_000);
  afterAll(async () => svc?.close());

  it('endpoints: the top routes of every sort equal a count over the raw rows, and only `limit` routes come back', async () => {
    const distinct = await svc.db.query<{ n: number }>('SELECT count(DISTINCT route)::int AS n FROM logs WHERE timestamp >= $1 AND timestamp < $2', range);
    expect(distinct.rows[0]!.n).toBeGreaterThan(10 + RANKED_HERE_BEYOND_LIMIT); // limit 10: the percentiles are ranked in SQL
    const bucket = (v: string): string => BUCKET_INDEX_SQL.replaceAll('latency_ms', v);
    // The same keys as the API, from the raw rows: p95/p99 rank by the value of the histogram bucket of
    // the exact order statistic, bounded by the route's largest latency.
    const key: Record<(typeof ENDPOINT_SORTS)[number], string> = {
      count: 'n',
      error_rate: 'errors::float8 / n',
      avg: 'floor(sum_us::float8 / n / 1000 * 1000 + 0.5) / 1000',
      p95: boundedBucketValueSql(bucket('p95'), 'max_ms'),
      p99: boundedBucketValueSql(bucket('p99'), 'max_ms'),
    };
    // Every sort over the 2,500 routes; and percentiles where fewer routes than `limit` qualify (ranked from their figures).
    const cases = [...ENDPOINT_SORTS.map((sort) => ({ sort, limit: 10, minCount: 1 })), { sort: 'p95', limit: 50, minCount: 8 }, { sort: 'p99', limit: 50, minCount: 8 }] as const;
    for (const { sort, limit, minCount } of cases) {
      const want = await svc.db.query<{ route: string; n: number; errors: number }>(
        `SELECT route, n, errors FROM (
           SELECT route, count(*)::int AS n, count(*) FILTER (WHERE status_code >= 500)::int AS errors,
                  sum(round(latency_ms * 1000)) AS sum_us, max(latency_ms) AS max_ms,
                  percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95, percentile_disc(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
           FROM logs WHERE timestamp >= $1 AND timestamp < $2 GROUP BY route) AS r
         WHERE n >= $3 ORDER BY ${key[sort]} DESC NULLS LAST, n DESC, route COLLATE "C" LIMIT $4`,
        [...range, minCount, limit],
      );
      expect(want.rows.length).toBeGreaterThan(minCount === 1 ? 9 : 10);
      const db = counting(svc.db);
      const got = await getEndpoints(db, { startMs, endMs, sort, limit, minCount });
      expect(got.items.map((r) => [r.route, r.count, r.errors]), sort).toEqual(want.rows.map((r) => [r.route, r.n, r.errors]));
      expect(got.source_of_truth).toBe('rollups+raw');
      // The ranked routes and their figures, `limit` rows each; for a percentile first up to limit +
      // RANKED_HERE_BEYOND_LIMIT + 1 routes by count (fewer qualify: ranked from their figures; more:
      // ranked in SQL). Not one row per route and rollup row (2,500 routes here).
      const percentile = sort === 'p95' || sort === 'p99';
      expect(db.rows, sort).toBeLessThanOrEqual(percentile ? 3 * limit + RANKED_HERE_BEYOND_LIMIT + 1 : 2 * limit);
    }
  });

  it('traffic by route: the ten largest routes and `other` per bucket, summed in SQL', async () => {
    const db = counting(svc.db);
    const traffic = await getTraffic(db, { startMs, endMs, interval: '1h', groupBy: 'route' });
    const top = await svc.db.query<{ route: string }>(
      `SELECT route FROM logs WHERE timestamp >= $1 AND timestamp < $2 GROUP BY route ORDER BY count(*) DESC, route COLLATE "C" LIMIT 10`, range,
    );
    expect(traffic.series).toHaveLength(4);
    for (const point of traffic.series) {
      expect(Object.keys(point.groups!)).toEqual([...top.rows.map((r) => r.route), 'other']);
      expect(Object.values(point.groups!).reduce((a, b) => a + b, 0)).toBe(point.count);
    }
    const perBucket = await svc.db.query<{ route: string; n: number }>(
      `SELECT route, count(*)::int AS n FROM logs WHERE timestamp >= $1 AND timestamp < $2 AND route = $3 GROUP BY route`, [...range, top.rows[0]!.route],
    );
    expect(traffic.series.reduce((a, p) => a + p.groups![top.rows[0]!.route]!, 0)).toBe(perBucket.rows[0]!.n);
    // Per bucket: its totals, and at most eleven groups (bounded by the buckets, not the 2,500 routes).
    expect(db.rows).toBeLessThanOrEqual(traffic.series.length * 12 + 2);
  });

  it('evidence: the top three routes, clients and status codes of a window, ranked in SQL', async () => {
    const rule = loadedRule(ruleSchema.parse({ name: 'all', kind: 'count', operator: '>', threshold: 1, filter: { source: 'many' } }));
    const [from, to] = [T0 + 20 * 60_000, T0 + 140 * 60_000];
    const db = counting(svc.db);
    const evidence = await collectEvidence(db, rule, from, to);
    const top = async (column: string) => (await svc.db.query<{ value: string; count: number }>(
      `SELECT ${column}::text AS value, count(*)::int AS count FROM logs WHERE timestamp >= $1 AND timestamp < $2 AND ${column} IS NOT NULL
       GROUP BY 1 ORDER BY 2 DESC, ${column}::text COLLATE "C" LIMIT 3`, [new Date(from).toISOString(), new Date(to).toISOString()],
    )).rows;
    expect(evidence.top_routes).toEqual(await top('route'));
    expect(evidence.top_clients).toEqual(await top('client_ip'));
    expect(evidence.top_status_codes).toEqual(await top('status_code'));
    expect(evidence.samples).toHaveLength(5);
    // Five samples and three of each kind: not one row per route or client of the window.
    expect(db.rows).toBeLessThanOrEqual(5 + 3 * 3);
  });
});

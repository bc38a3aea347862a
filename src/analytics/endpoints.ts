import type { Queryable } from '../db/db.js';
import { boundedBucketValueSql } from '../domain/latencyHistogram.js';
import type { RecordFilter } from '../query/recordFilter.js';
import { factsQuery, narrowFactsQuery, totalsBy, type SourceOfTruth } from './facts.js';
import { latencySummary, pct, sortKeys, statusClass } from './summary.js';

export const ENDPOINT_SORTS = ['count', 'error_rate', 'p95', 'p99', 'avg'] as const;
export type EndpointSort = (typeof ENDPOINT_SORTS)[number];

export interface EndpointsParams extends RecordFilter {
  sort: EndpointSort;
  limit: number;
  /** Routes seen fewer times are left out (a route hit twice should not top the latency list). */
  minCount: number;
}

export interface EndpointRow {
  route: string;
  count: number;
  errors: number;
  error_rate_pct: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  avg_ms: number | null;
  max_ms: number | null;
  bytes: number;
}

/** Ranking per sort key, descending, nulls last; ties by count, then route, so pages are stable. */
const SORT_VALUE: Record<EndpointSort, (r: EndpointRow) => number | null> = {
  count: (r) => r.count,
  error_rate: (r) => r.errors / r.count,
  p95: (r) => r.p95_ms,
  p99: (r) => r.p99_ms,
  avg: (r) => r.avg_ms,
};

/**
 * The same keys in SQL, over a route's sums, computed as SORT_VALUE computes them (float8 like JS
 * numbers; avg rounded to 3 decimals as latencySummary rounds it, Math.round being floor(x + 0.5)).
 * Percentiles are ranked apart (percentileRanked).
 */
const ORDER_SQL: Record<Exclude<EndpointSort, 'p95' | 'p99'>, string> = {
  count: 'sum(requests)',
  error_rate: 'sum(errors)::float8 / sum(requests)::float8',
  avg: 'CASE WHEN sum(latency_count) > 0 THEN floor(sum(latency_sum_us)::float8 / sum(latency_count)::float8 / 1000 * 1000 + 0.5) / 1000 END',
};

/**
 * How many routes beyond `limit` a percentile ranking reads the figures of and ranks here. Merging
 * every route's histograms in SQL (unnest, GROUP BY bucket) costs more than reading them: at 1,472
 * routes of the bench's 10.5M rows, 36 ms for the SQL ranking against 15 ms more for reading every
 * route's figures (one row per route). So while no more routes qualify their figures are read and
 * ranked in this process (a few MB at most); past that, SQL ranks them. Either way what is read is
 * bounded by `limit` and this constant, whatever the number of routes.
 */
export const RANKED_HERE_BEYOND_LIMIT = 2000;

/**
 * The `limit` routes with at least `minCount` requests whose q-quantile is highest, ranked in SQL:
 * per route, the bucket of its merged histogram that holds the q-quantile by nearest rank, as
 * quantile() in src/domain/latencyHistogram.ts finds it (rank ⌈q·n − 1e-9⌉, at least 1, in float8 as
 * there, so a huge n rounds alike), and its value bounded by the route's largest latency as the
 * figures answered are (boundedBucketValueSql). Ties as SORT_VALUE.
 */
async function percentileRanked(db: Queryable, p: EndpointsParams, q: number): Promise<string[]> {
  const params: unknown[] = [p.minCount, p.limit];
  const facts = narrowFactsQuery(p, 'route', params);
  const res = await db.query<{ route: string }>(
    `WITH facts AS (${facts.sql}),
     r AS (SELECT route, sum(requests) AS requests, max(latency_max_ms) AS max_ms FROM facts WHERE route IS NOT NULL
           GROUP BY route HAVING sum(requests) > 0 AND sum(requests) >= $1),
     merged AS (SELECT f.route, u.b, sum(u.c) AS c
                FROM facts AS f CROSS JOIN LATERAL unnest(f.latency_buckets, f.latency_counts) AS u(b, c)
                WHERE f.latency_count > 0 AND f.route IN (SELECT route FROM r) GROUP BY 1, 2),
     cumulative AS (SELECT route, b, sum(c) OVER (PARTITION BY route ORDER BY b) AS seen, sum(c) OVER (PARTITION BY route) AS total
                    FROM merged),
     quantile AS (SELECT route, min(b) AS bucket FROM cumulative
                  WHERE seen::float8 >= greatest(1, ceil(${q}::float8 * total::float8 - 1e-9)) GROUP BY route)
     SELECT r.route FROM r LEFT JOIN quantile USING (route)
     ORDER BY ${boundedBucketValueSql('quantile.bucket', 'r.max_ms')} DESC NULLS LAST, r.requests DESC, r.route COLLATE "C" LIMIT $2`,
    params,
  );
  return res.rows.map((row) => row.route);
}

/**
 * One row per route with its traffic, error rate and latency percentiles, ranked by `sort` (the
 * per-route rollups). The routes are chosen in SQL: by count, error rate and average, the `limit`
 * first with their figures in one query; by a percentile, the figures of every qualifying route
 * when there are at most `limit` + RANKED_HERE_BEYOND_LIMIT, else the `limit` that percentileRanked
 * finds. What comes back to this process is bounded by that, whatever the number of routes.
 */
export async function getEndpoints(db: Queryable, p: EndpointsParams): Promise<{ items: EndpointRow[]; source_of_truth: SourceOfTruth }> {
  const q = p.sort === 'p95' ? 0.95 : p.sort === 'p99' ? 0.99 : null;
  const most = q === null ? p.limit : p.limit + RANKED_HERE_BEYOND_LIMIT;
  const orderBy = p.sort === 'p95' || p.sort === 'p99' ? ORDER_SQL.count : ORDER_SQL[p.sort];
  let { groups, sourceOfTruth } = await totalsBy(db, p, 'route', 'route', { minRequests: p.minCount, orderBy, limit: q === null ? most : most + 1 });
  if (q !== null && groups.size > most) {
    const routes = await percentileRanked(db, p, q);
    // The ranked routes lie within the filter's own, if it names any.
    ({ groups, sourceOfTruth } = await totalsBy(db, { ...p, routes }, 'route', 'route'));
  }
  const ranked: { row: EndpointRow; key: number | null }[] = [];
  for (const [route, t] of groups) {
    if (route === null) continue;
    const latency = latencySummary(t);
    const row: EndpointRow = {
      route,
      count: t.requests,
      errors: t.errors,
      error_rate_pct: pct(t.errors, t.requests),
      p50_ms: latency.p50,
      p95_ms: latency.p95,
      p99_ms: latency.p99,
      avg_ms: latency.avg,
      max_ms: latency.max,
      bytes: t.bytes,
    };
    ranked.push({ row, key: SORT_VALUE[p.sort](row) });
  }
  // Ranked from the figures as returned (where SQL ranked them, in the same order: a sort that holds
  // even where SQL's float arithmetic would differ from ours in the last bit).
  ranked.sort((a, b) => {
    if (a.key !== b.key) {
      if (a.key === null) return 1;
      if (b.key === null) return -1;
      return b.key - a.key;
    }
    return b.row.count - a.row.count || (a.row.route < b.row.route ? -1 : a.row.route > b.row.route ? 1 : 0);
  });
  return { items: ranked.slice(0, p.limit).map((r) => r.row), source_of_truth: sourceOfTruth };
}

/** Requests per status code and class over a range. */
export async function getStatusCodes(db: Queryable, p: RecordFilter): Promise<{
  total: number; classes: Record<string, number>; items: { status_code: number; count: number; pct: number }[]; source_of_truth: SourceOfTruth;
}> {
  const params: unknown[] = [];
  const facts = factsQuery(p, params);
  const res = await db.query<{ status_code: number; n: number }>(
    `SELECT status_code, sum(records) AS n FROM (${facts.sql}) AS facts WHERE status_code IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1`,
    params,
  );
  const total = res.rows.reduce((a, r) => a + r.n, 0);
  const classes: Record<string, number> = {};
  for (const r of res.rows) {
    const cls = statusClass(r.status_code);
    classes[cls] = (classes[cls] ?? 0) + r.n;
  }
  return {
    total,
    classes: sortKeys(classes),
    items: res.rows.map((r) => ({ status_code: r.status_code, count: r.n, pct: pct(r.n, total) })),
    source_of_truth: facts.sourceOfTruth,
  };
}

import type { Queryable } from '../db/db.js';
import { bucketValue } from '../domain/latencyHistogram.js';
import { factsQuery, quantilesCte, type FactFilter, type SourceOfTruth } from './facts.js';
import { pct, sortKeys, statusClass } from './summary.js';

export const ENDPOINT_SORTS = ['count', 'error_rate', 'p95', 'p99', 'avg'] as const;
export type EndpointSort = (typeof ENDPOINT_SORTS)[number];

export interface EndpointsParams extends FactFilter {
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

/** Sort keys over the per-route SQL columns; ties by count, then route, so pages are stable. */
const ORDER: Record<EndpointSort, string> = {
  count: 'n DESC',
  error_rate: 'errors::float8 / n DESC',
  p95: 'q1 DESC NULLS LAST',
  p99: 'q2 DESC NULLS LAST',
  avg: 'latency_sum_us::float8 / nullif(latency_count, 0) DESC NULLS LAST',
};

const ms = (bucket: number | null): number | null => (bucket === null ? null : Math.round(bucketValue(bucket) * 1000) / 1000);

/** One row per route with its traffic, error rate and latency percentiles, ranked by `sort`. */
export async function getEndpoints(db: Queryable, p: EndpointsParams): Promise<{ items: EndpointRow[]; source_of_truth: SourceOfTruth }> {
  const params: unknown[] = [p.minCount, p.limit];
  const facts = factsQuery(p, params);
  const res = await db.query<{
    route: string; n: number; errors: number; bytes: number; latency_count: number; latency_sum_us: number; latency_max_ms: number | null;
    q0: number | null; q1: number | null; q2: number | null;
  }>(
    `WITH facts AS MATERIALIZED (SELECT * FROM (${facts.sql}) AS all_facts WHERE route IS NOT NULL AND status_code IS NOT NULL),
     ${quantilesCte('route', [0.5, 0.95, 0.99])},
     per_route AS (
       SELECT route, sum(records) AS n, coalesce(sum(records) FILTER (WHERE status_code >= 500), 0) AS errors,
              sum(bytes_sent) AS bytes, sum(latency_count) AS latency_count, sum(latency_sum_us) AS latency_sum_us,
              max(latency_max_ms) AS latency_max_ms
       FROM facts GROUP BY route HAVING sum(records) >= $1)
     SELECT r.*, q.q0, q.q1, q.q2 FROM per_route r LEFT JOIN quantiles q ON q.g = r.route
     ORDER BY ${ORDER[p.sort]}, n DESC, route LIMIT $2`,
    params,
  );
  return {
    items: res.rows.map((r) => ({
      route: r.route,
      count: r.n,
      errors: r.errors,
      error_rate_pct: pct(r.errors, r.n),
      p50_ms: ms(r.q0),
      p95_ms: ms(r.q1),
      p99_ms: ms(r.q2),
      avg_ms: r.latency_count > 0 ? Math.round(r.latency_sum_us / r.latency_count) / 1000 : null,
      max_ms: r.latency_max_ms,
      bytes: r.bytes,
    })),
    source_of_truth: facts.sourceOfTruth,
  };
}

/** Requests per status code and class over a range. */
export async function getStatusCodes(db: Queryable, p: FactFilter): Promise<{
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

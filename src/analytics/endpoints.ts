import type { Queryable } from '../db/db.js';
import { factsQuery, totalsBy, type FactFilter, type SourceOfTruth } from './facts.js';
import { latencySummary, pct, sortKeys, statusClass } from './summary.js';

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

/** Ranking per sort key, descending, nulls last; ties by count, then route, so pages are stable. */
const SORT_VALUE: Record<EndpointSort, (r: EndpointRow) => number | null> = {
  count: (r) => r.count,
  error_rate: (r) => r.errors / r.count,
  p95: (r) => r.p95_ms,
  p99: (r) => r.p99_ms,
  avg: (r) => r.avg_ms,
};

/** One row per route with its traffic, error rate and latency percentiles, ranked by `sort` (the per-route rollups). */
export async function getEndpoints(db: Queryable, p: EndpointsParams): Promise<{ items: EndpointRow[]; source_of_truth: SourceOfTruth }> {
  const { groups, sourceOfTruth } = await totalsBy(db, p, 'route', 'route');
  const ranked: { row: EndpointRow; key: number | null }[] = [];
  for (const [route, t] of groups) {
    // Records without a status code (an error-log line naming a request) have no place in a requests table.
    if (route === null || t.requests === 0 || t.requests < p.minCount) continue;
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

import { GAMMA, ZERO_BUCKET } from '../domain/latencyHistogram.js';
import { splitRange } from './timeRange.js';

/** What every analytics question filters on. Times are epoch ms; null is unbounded. */
export interface FactFilter {
  startMs: number | null;
  endMs: number | null;
  source: string | null;
  /** One route only (a route's own charts). */
  route?: string | null;
  /** Read no rollup coarser than this (ms); default a day. */
  coarsestMs?: number;
}

/**
 * Columns of the `facts` relation: a rollup row, or one raw row shaped like one. `t` is the start of
 * the rollup's bucket, or the raw row's timestamp.
 */
export const FACT_COLUMNS =
  'source, route, method, status_code, log_level, records, bytes_sent, latency_count, latency_sum_us, latency_max_ms, latency_buckets, latency_counts';

/** The bucket of a raw latency, as src/domain/latencyHistogram.ts computes it. */
const RAW_BUCKET = `CASE WHEN latency_ms <= 0 THEN ${ZERO_BUCKET} ELSE ceil(ln(greatest(latency_ms, 0.001)) / ln(${GAMMA}))::integer END`;

const RAW_AS_FACT = `timestamp AS t, source, route, method, status_code, log_level, 1::bigint AS records, coalesce(bytes_sent, 0) AS bytes_sent,
  (latency_ms IS NOT NULL)::integer::bigint AS latency_count, coalesce(round(latency_ms * 1000), 0)::bigint AS latency_sum_us,
  latency_ms AS latency_max_ms,
  CASE WHEN latency_ms IS NULL THEN '{}'::integer[] ELSE ARRAY[${RAW_BUCKET}] END AS latency_buckets,
  CASE WHEN latency_ms IS NULL THEN '{}'::integer[] ELSE '{1}'::integer[] END AS latency_counts`;

/** How an answer was computed, reported with it. */
export type SourceOfTruth = 'rollups' | 'rollups+raw' | 'raw';

export interface FactsQuery {
  /** A SELECT producing FACT_COLUMNS; its parameters are appended to `params`. */
  sql: string;
  sourceOfTruth: SourceOfTruth;
}

/**
 * The facts of a range: the UNION ALL of its pieces (splitRange), each filtered by time, source and
 * route. Parameters are appended to `params` (the caller's own come first).
 */
export function factsQuery(f: FactFilter, params: unknown[]): FactsQuery {
  const pieces = splitRange(f.startMs, f.endMs, f.coarsestMs);
  const parts = pieces.map((p) => {
    const columns = p.source === 'logs' ? RAW_AS_FACT : `bucket AS t, ${FACT_COLUMNS}`;
    const time = p.source === 'logs' ? 'timestamp' : 'bucket';
    return `SELECT ${columns} FROM ${p.source} ${whereClause(rangeConditions(time, p.fromMs, p.toMs, f, params))}`;
  });
  const raw = pieces.filter((p) => p.source === 'logs').length;
  return {
    sql: parts.join('\nUNION ALL\n'),
    sourceOfTruth: raw === 0 ? 'rollups' : raw === pieces.length ? 'raw' : 'rollups+raw',
  };
}

/**
 * Conditions for [fromMs, toMs) on a time column (null: unbounded), the source and the route, the
 * same on raw rows, rollups and sketches. Values are appended to `params`.
 */
export function rangeConditions(
  column: string, fromMs: number | null, toMs: number | null, f: Pick<FactFilter, 'source' | 'route'>, params: unknown[],
): string[] {
  const where: string[] = [];
  const add = (cond: string, v: unknown): void => {
    params.push(v);
    where.push(`${cond} $${params.length}`);
  };
  if (fromMs !== null) add(`${column} >=`, new Date(fromMs).toISOString());
  if (toMs !== null) add(`${column} <`, new Date(toMs).toISOString());
  if (f.source !== null) add('source =', f.source);
  if (f.route !== undefined && f.route !== null) add('route =', f.route);
  return where;
}

export function whereClause(conditions: readonly string[]): string {
  return conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
}

/**
 * SQL for quantiles from the merged histograms of groups of facts: a CTE list fragment defining
 * `quantiles` (one row per group, the bucket index of each quantile in columns q0, q1, …). `group`
 * is an SQL expression over facts (a time bucket, a route); nearest rank, as latencyHistogram.quantile.
 */
export function quantilesCte(group: string, qs: readonly number[]): string {
  const cols = qs.map((q, i) => `min(b) FILTER (WHERE cum >= greatest(1, ceil(${q} * total - 1e-9))) AS q${i}`).join(', ');
  return `hist AS (
      SELECT ${group} AS g, b, sum(c) AS n FROM facts, unnest(latency_buckets, latency_counts) AS u(b, c) GROUP BY 1, 2),
    cumulative AS (
      SELECT g, b, sum(n) OVER (PARTITION BY g ORDER BY b) AS cum, sum(n) OVER (PARTITION BY g) AS total FROM hist),
    quantiles AS (SELECT g, ${cols} FROM cumulative GROUP BY g)`;
}

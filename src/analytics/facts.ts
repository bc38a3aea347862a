import { whereClause, type Queryable } from '../db/db.js';
import type { WalkRange } from '../db/partitionWalk.js';
import { HISTOGRAM_COLUMNS, NARROW_ROLLUPS, ROLLUP_TABLES, type NarrowGrain, type RollupMeasure } from '../db/rollupTables.js';
import { addHistogramPairsText, BUCKET_INDEX_SQL, type BucketCounts } from '../domain/latencyHistogram.js';
import { splitRange, type RangePiece } from './timeRange.js';

/** What every analytics question filters on. Times are epoch ms; null is unbounded. */
export interface FactFilter {
  startMs: number | null;
  endMs: number | null;
  source: string | null;
  /** One route only (a route's own charts). */
  route?: string | null;
  /** Only these routes (the figures of routes already ranked). */
  routes?: readonly string[];
  /** Read no rollup coarser than this (ms); default a day. */
  coarsestMs?: number;
}

/**
 * Columns of the `facts` relation: a rollup row, or one raw row shaped like one. `t` is the start of
 * the rollup's bucket, or the raw row's timestamp. Hour and day rollups of the full key keep no
 * histogram (percentiles come from the narrow rollups), so these facts have none either.
 */
export const FACT_COLUMNS = [...ROLLUP_TABLES.rollups_1h.key, ...ROLLUP_TABLES.rollups_1h.measures]
  .map((c) => c.name).filter((c) => c !== 'bucket').join(', ');


const RAW_AS_FACT = `timestamp AS t, source, route, method, status_code, log_level, 1::bigint AS records, coalesce(bytes_sent, 0) AS bytes_sent,
  (latency_ms IS NOT NULL)::integer::bigint AS latency_count, coalesce(round(latency_ms * 1000), 0)::bigint AS latency_sum_us,
  latency_ms AS latency_max_ms`;

/** A raw row's latency as a histogram of one (or no) value. */
const RAW_HISTOGRAM = `CASE WHEN latency_ms IS NULL THEN '{}'::integer[] ELSE ARRAY[${BUCKET_INDEX_SQL}] END AS latency_buckets,
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
  return { sql: pieces.map((p) => widePiece(p, f, params)).join('\nUNION ALL\n'), sourceOfTruth: sourceOfTruth(pieces) };
}

/** One piece's facts; with the latency histogram too (raw rows and minutes only: coarser full-key rollups have none). */
function widePiece(p: RangePiece, f: FactFilter, params: unknown[], histogram = false): string {
  if (histogram && p.source !== 'logs' && p.source !== 'rollups_1m') throw new Error(`${p.source} keeps no latency histogram`);
  const columns = p.source === 'logs' ? RAW_AS_FACT : `bucket AS t, ${FACT_COLUMNS}`;
  const hist = !histogram ? '' : p.source === 'logs' ? `, ${RAW_HISTOGRAM}` : ', latency_buckets, latency_counts';
  const time = p.source === 'logs' ? 'timestamp' : 'bucket';
  return `SELECT ${columns}${hist} FROM ${p.source} ${whereClause(rangeConditions(time, p.fromMs, p.toMs, f, params))}`;
}

function sourceOfTruth(pieces: RangePiece[]): SourceOfTruth {
  const raw = pieces.filter((p) => p.source === 'logs').length;
  return raw === 0 ? 'rollups' : raw === pieces.length ? 'raw' : 'rollups+raw';
}

/** Columns of a narrow fact (after t, source, route): what the per-route and per-source rollups count. */
const NARROW_COLUMNS = [...ROLLUP_TABLES.route_rollups_1h.measures.map((m) => m.name), ...HISTOGRAM_COLUMNS].join(', ');

/** A wide fact (a minute rollup or a raw row) as a narrow one. */
const WIDE_AS_NARROW = ['t', 'source', 'route', ...ROLLUP_TABLES.route_rollups_1h.measures.map((m: RollupMeasure) =>
  m.fromFullKey === undefined ? m.name : `${m.fromFullKey} AS ${m.name}`), ...HISTOGRAM_COLUMNS].join(', ');

/**
 * Like factsQuery, for questions that need no method, status code or level (only the counts of
 * requests, 5xx and 4xx): whole hours and days come from the per-route or per-source rollups, which
 * have a fraction of the rows. Columns: t, source, route (NULL on the per-source grain) and
 * NARROW_COLUMNS. A route filter reads the per-route grain whatever `grain` says.
 */
export function narrowFactsQuery(f: FactFilter, grain: NarrowGrain, params: unknown[]): FactsQuery {
  const g: NarrowGrain = (f.route !== undefined && f.route !== null) || f.routes !== undefined ? 'route' : grain;
  const pieces = splitRange(f.startMs, f.endMs, f.coarsestMs);
  const parts = pieces.map((p) => {
    const table = p.source === 'logs' ? null : NARROW_ROLLUPS[g][p.source];
    if (table === null) return `SELECT ${WIDE_AS_NARROW} FROM (${widePiece(p, f, params, true)}) AS w`;
    const route = g === 'route' ? 'route' : 'NULL::text AS route';
    return `SELECT bucket AS t, source, ${route}, ${NARROW_COLUMNS} FROM ${table}
      ${whereClause(rangeConditions('bucket', p.fromMs, p.toMs, f, params))}`;
  });
  return { sql: parts.join('\nUNION ALL\n'), sourceOfTruth: sourceOfTruth(pieces) };
}

/** The totals of a group of facts, with its merged latency histogram. */
export interface GroupTotals {
  records: number;
  /** Records with a status code; errors are the 5xx among them, clientErrors the 4xx. */
  requests: number;
  errors: number;
  clientErrors: number;
  bytes: number;
  latencyCount: number;
  latencySumUs: number;
  latencyMaxMs: number | null;
  hist: BucketCounts;
}

interface GroupRow {
  g: string | null;
  records: number;
  requests: number;
  errors: number;
  client_errors: number;
  bytes_sent: number;
  latency_count: number;
  latency_sum_us: number;
  latency_max_ms: number | null;
  /** The group's histograms as text, each one's buckets then its counts (addHistogramPairsText). */
  h: string;
}

/** Which groups totalsBy returns, when not all. */
export interface TotalsOptions {
  /** Only groups with a key and with requests, at least this many. */
  minRequests?: number;
  /**
   * Only the first `limit` groups by `orderBy` (SQL over the group's sums, such as `sum(requests)`;
   * descending, nulls last; ties by requests, then key in byte order). The map keeps that order.
   */
  orderBy?: string;
  limit?: number;
}

/**
 * Narrow facts of a range summed per group (`group`: an SQL expression over t, source and route;
 * its value is the map's key, as text): one row per group comes back, never one per fact, so
 * memory here grows with the groups asked for, not with the routes or rollup rows of the range.
 * The histograms are not merged in SQL (unnest and GROUP BY per bucket is what made percentiles
 * slow) but concatenated as text there and added up here, one pass over the arrays' text.
 */
export async function totalsBy(
  db: Queryable, f: FactFilter, grain: NarrowGrain, group: string, opts: TotalsOptions = {},
): Promise<{ groups: Map<string | null, GroupTotals>; sourceOfTruth: SourceOfTruth }> {
  const params: unknown[] = [];
  const facts = narrowFactsQuery(f, grain, params);
  const key = `(${group})::text`;
  let having = '';
  if (opts.minRequests !== undefined) {
    params.push(opts.minRequests);
    having = `HAVING ${key} IS NOT NULL AND sum(requests) > 0 AND sum(requests) >= $${params.length}`;
  }
  let order = '';
  if (opts.limit !== undefined) {
    params.push(opts.limit);
    order = `ORDER BY ${opts.orderBy ?? 'sum(requests)'} DESC NULLS LAST, sum(requests) DESC, ${key} COLLATE "C" LIMIT $${params.length}`;
  }
  const res = await db.query<GroupRow>(
    `SELECT ${key} AS g, sum(records) AS records, sum(requests) AS requests, sum(errors) AS errors,
            sum(client_errors) AS client_errors, sum(bytes_sent) AS bytes_sent, sum(latency_count) AS latency_count,
            sum(latency_sum_us) AS latency_sum_us, max(latency_max_ms) AS latency_max_ms,
            coalesce(string_agg(latency_buckets::text || latency_counts::text, '') FILTER (WHERE latency_count > 0), '') AS h
     FROM (${facts.sql}) AS facts GROUP BY 1 ${having} ${order}`,
    params,
  );
  const groups = new Map<string | null, GroupTotals>();
  for (const r of res.rows) {
    const hist: BucketCounts = new Map();
    addHistogramPairsText(hist, r.h);
    groups.set(r.g, {
      records: r.records, requests: r.requests, errors: r.errors, clientErrors: r.client_errors, bytes: r.bytes_sent,
      latencyCount: r.latency_count, latencySumUs: r.latency_sum_us, latencyMaxMs: r.latency_max_ms, hist,
    });
  }
  return { groups, sourceOfTruth: facts.sourceOfTruth };
}

/**
 * Conditions for [fromMs, toMs) on a time column (null: unbounded), the source and the route, the
 * same on raw rows, rollups and sketches. Values are appended to `params`.
 */
export function rangeConditions(
  column: string, fromMs: number | null, toMs: number | null, f: Pick<FactFilter, 'source' | 'route' | 'routes'>, params: unknown[],
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
  if (f.routes !== undefined) {
    params.push(f.routes);
    where.push(`route = ANY($${params.length}::text[])`);
  }
  return where;
}

/** The time range of a filter as a walk over the partitions of `logs` takes it (src/db/partitionWalk.ts). */
export function walkRange(p: Pick<FactFilter, 'startMs' | 'endMs'>): WalkRange {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return { from: iso(p.startMs), before: iso(p.endMs) };
}

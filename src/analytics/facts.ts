import { whereClause, type Queryable } from '../db/db.js';
import type { WalkRange } from '../db/partitionWalk.js';
import { HISTOGRAM_COLUMNS, NARROW_ROLLUPS, ROLLUP_TABLES, type NarrowGrain, type RollupMeasure } from '../db/rollupTables.js';
import { addHistogramPairsText, BUCKET_INDEX_SQL, type BucketCounts } from '../domain/latencyHistogram.js';
import { answers, filterConditions, FULL_ROLLUPS, RECORDS, ROUTE_ROLLUPS, SOURCE_ROLLUPS } from '../query/compileFilter.js';
import type { RecordFilter } from '../query/recordFilter.js';
import { splitRange, type RangePiece } from './timeRange.js';

/** How finely a question reads its range, besides its filter. */
export interface ReadOptions {
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
 * The pieces a filter's range is read from: splitRange's when the full-key rollups keep every field
 * the filter names; else (`q`, `endpoint`: only raw rows have them) the whole range from raw rows.
 */
export function piecesOf(f: RecordFilter, coarsestMs?: number): RangePiece[] {
  if (!answers(FULL_ROLLUPS, f)) return [{ source: 'logs', fromMs: f.startMs, toMs: f.endMs }];
  return splitRange(f.startMs, f.endMs, coarsestMs);
}

/** The facts of a range: the UNION ALL of its pieces, each filtered. Parameters are appended to `params` (the caller's own come first). */
export function factsQuery(f: RecordFilter, params: unknown[], opts: ReadOptions = {}): FactsQuery {
  const pieces = piecesOf(f, opts.coarsestMs);
  return { sql: pieces.map((p) => widePiece(p, f, params, 'none')).join('\nUNION ALL\n'), sourceOfTruth: sourceOfTruth(pieces) };
}

/**
 * One piece's facts. `histogram`: 'kept' adds the latency histogram (raw rows and minutes only:
 * coarser full-key rollups have none); 'empty' adds empty ones, for a caller that reads no latency.
 */
function widePiece(p: RangePiece, f: RecordFilter, params: unknown[], histogram: 'none' | 'kept' | 'empty'): string {
  if (histogram === 'kept' && p.source !== 'logs' && p.source !== 'rollups_1m') throw new Error(`${p.source} keeps no latency histogram`);
  const raw = p.source === 'logs';
  const columns = raw ? RAW_AS_FACT : `bucket AS t, ${FACT_COLUMNS}`;
  const hist = histogram === 'none' ? ''
    : histogram === 'empty' ? `, '{}'::integer[] AS latency_buckets, '{}'::integer[] AS latency_counts`
      : raw ? `, ${RAW_HISTOGRAM}` : ', latency_buckets, latency_counts';
  const where = filterConditions(f, raw ? RECORDS : FULL_ROLLUPS, params, { range: p });
  return `SELECT ${columns}${hist} FROM ${p.source} ${whereClause(where)}`;
}

function sourceOfTruth(pieces: RangePiece[]): SourceOfTruth {
  const raw = pieces.filter((p) => p.source === 'logs').length;
  return raw === 0 ? 'rollups' : raw === pieces.length ? 'raw' : 'rollups+raw';
}

/** Columns of a narrow fact (after t, source, route): what the per-route and per-source rollups count. */
const NARROW_COLUMNS = [...ROLLUP_TABLES.route_rollups_1h.measures.map((m) => m.name), ...HISTOGRAM_COLUMNS].join(', ');

/** A wide fact (a full-key rollup or a raw row) as a narrow one. */
const WIDE_AS_NARROW = ['t', 'source', 'route', ...ROLLUP_TABLES.route_rollups_1h.measures.map((m: RollupMeasure) =>
  m.fromFullKey === undefined ? m.name : `${m.fromFullKey} AS ${m.name}`), ...HISTOGRAM_COLUMNS].join(', ');

const NARROW_TARGETS = { source: SOURCE_ROLLUPS, route: ROUTE_ROLLUPS } as const;

/** The narrow grain that answers the filter: the one asked for, else per route (a route filter), else none. */
function narrowGrainFor(f: RecordFilter, grain: NarrowGrain): NarrowGrain | null {
  if (answers(NARROW_TARGETS[grain], f)) return grain;
  return answers(ROUTE_ROLLUPS, f) ? 'route' : null;
}

/**
 * Whether the latency percentiles of the filter's range are known: the per-route and per-source
 * rollups keep histograms at every grain, the full-key ones only per minute (narrowFactsQuery).
 */
export function percentilesKept(f: RecordFilter, opts: ReadOptions = {}): boolean {
  return answers(ROUTE_ROLLUPS, f) || piecesOf(f, opts.coarsestMs).every((p) => p.source === 'logs' || p.source === 'rollups_1m');
}

export interface NarrowReadOptions extends ReadOptions {
  /** False: the caller reads no latency, so coarse pieces may come with empty histograms. Default true. */
  latency?: boolean;
}

/**
 * Like factsQuery, for questions that need no method, status code or level (only the counts of
 * requests, 5xx and 4xx): whole hours and days come from the per-route or per-source rollups, which
 * have a fraction of the rows. Columns: t, source, route (NULL on the per-source grain) and
 * NARROW_COLUMNS. A route filter reads the per-route grain whatever `grain` says.
 *
 * A filter on status code, level or method (which the narrow grains do not keep) reads the full-key
 * rollups instead, exactly, at the same grain. Their hours and days keep no latency histogram (only
 * the latency count, sum and maximum), so the groups that hold such pieces come back without one
 * (totalsBy: `hist` null) and their percentiles are not known. Reading the whole range from the
 * minute rollups instead cost a scan of every minute and key of it (2026-12-06, bench at 10.5M rows:
 * endpoints?method=GET 3.6 s, traffic?level=ERROR 515 ms, against 43 and 31 ms unfiltered).
 */
export function narrowFactsQuery(f: RecordFilter, grain: NarrowGrain, params: unknown[], opts: NarrowReadOptions = {}): FactsQuery {
  const g = narrowGrainFor(f, grain);
  const latency = opts.latency ?? true;
  if (g === null) {
    const pieces = piecesOf(f, opts.coarsestMs);
    const parts = pieces.map((p) => {
      const hist = latency && (p.source === 'logs' || p.source === 'rollups_1m') ? 'kept' : 'empty';
      return `SELECT ${WIDE_AS_NARROW} FROM (${widePiece(p, f, params, hist)}) AS w`;
    });
    return { sql: parts.join('\nUNION ALL\n'), sourceOfTruth: sourceOfTruth(pieces) };
  }
  const pieces = splitRange(f.startMs, f.endMs, opts.coarsestMs);
  const parts = pieces.map((p) => {
    const table = p.source === 'logs' ? null : NARROW_ROLLUPS[g][p.source];
    if (table === null) return `SELECT ${WIDE_AS_NARROW} FROM (${widePiece(p, f, params, 'kept')}) AS w`;
    const route = g === 'route' ? 'route' : 'NULL::text AS route';
    return `SELECT bucket AS t, source, ${route}, ${NARROW_COLUMNS} FROM ${table}
      ${whereClause(filterConditions(f, NARROW_TARGETS[g], params, { range: p }))}`;
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
  /**
   * The merged latency histogram; null when part of the group was read from rollups that keep none
   * (full-key hours and days, under a filter on status, level or method): its percentiles are not known.
   */
  hist: BucketCounts | null;
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
export interface TotalsOptions extends NarrowReadOptions {
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
  db: Queryable, f: RecordFilter, grain: NarrowGrain, group: string, opts: TotalsOptions = {},
): Promise<{ groups: Map<string | null, GroupTotals>; sourceOfTruth: SourceOfTruth }> {
  const params: unknown[] = [];
  const facts = narrowFactsQuery(f, grain, params, opts);
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
    // Every row's histogram counts its latencies: fewer in the merge means some rows had none.
    let counted = 0;
    for (const c of hist.values()) counted += c;
    groups.set(r.g, {
      records: r.records, requests: r.requests, errors: r.errors, clientErrors: r.client_errors, bytes: r.bytes_sent,
      latencyCount: r.latency_count, latencySumUs: r.latency_sum_us, latencyMaxMs: r.latency_max_ms,
      hist: counted === Number(r.latency_count) ? hist : null,
    });
  }
  return { groups, sourceOfTruth: facts.sourceOfTruth };
}

/** The time range of a filter as a walk over the partitions of `logs` takes it (src/db/partitionWalk.ts). */
export function walkRange(p: Pick<RecordFilter, 'startMs' | 'endMs'>): WalkRange {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return { from: iso(p.startMs), before: iso(p.endMs) };
}

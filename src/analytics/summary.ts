import { whereClause, type Queryable } from '../db/db.js';
import { chunkConditions, partitionChunks } from '../db/partitionWalk.js';
import { HLL_STANDARD_ERROR } from '../domain/hyperLogLog.js';
import { boundedLatency, boundedQuantiles, RELATIVE_ACCURACY } from '../domain/latencyHistogram.js';
import { filterConditions, RECORDS } from '../query/compileFilter.js';
import type { RecordFilter } from '../query/recordFilter.js';
import { factsQuery, narrowFactsQuery, totalsBy, walkRange, type GroupTotals, type SourceOfTruth } from './facts.js';
import { uniqueClients } from './uniqueClients.js';

export interface SummaryParams extends RecordFilter {
  /** How many routes in top_endpoints. */
  top: number;
}

export interface LatencySummary {
  /** Requests that have a latency: the percentiles and the average are over these. */
  count: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  avg: number | null;
  max: number | null;
  /**
   * Percentiles are within this relative error of the exact value (the histogram's bound), and never
   * above max (nor avg): a bucket's value that would pass the largest latency is answered as it.
   */
  relative_error: number;
}

export interface Summary {
  start_date: string | null;
  end_date: string | null;
  /** Records with a status code (access-log lines). */
  total_requests: number;
  /** Every record, error-log lines included. */
  total_records: number;
  /** Responses with status ≥ 500; not levels.ERROR, which also counts error-log lines at level error or worse. */
  error_count: number;
  error_rate_pct: number;
  client_error_count: number;
  status_classes: Record<string, number>;
  status_codes: Record<string, number>;
  levels: Record<string, number>;
  top_endpoints: { route: string; count: number; error_rate_pct: number }[];
  latency_ms: LatencySummary;
  /** Distinct client addresses: never more than total_records; null when not known (uniqueClients). */
  unique_clients: number | null;
  /** Relative standard error of unique_clients: 0 when counted exactly, else the sketches' (about 0.016); null with it. */
  unique_clients_error: number | null;
  bytes_sent: number;
  first_timestamp: string | null;
  last_timestamp: string | null;
  source_of_truth: SourceOfTruth;
}

/** A percentage with two decimals; 0 when there is nothing to divide. */
export function pct(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 10_000) / 100 : 0;
}

/** Latency figures of a group of facts. */
export function latencySummary(t: GroupTotals | undefined): LatencySummary {
  const max = t?.latencyMaxMs ?? null;
  const [p50, p90, p95, p99] = boundedQuantiles(t?.hist ?? new Map<number, number>(), [0.5, 0.9, 0.95, 0.99], max);
  const n = t?.latencyCount ?? 0;
  return {
    count: n,
    p50: p50 ?? null,
    p90: p90 ?? null,
    p95: p95 ?? null,
    p99: p99 ?? null,
    // The sum is of latencies rounded to the µs, so its mean can pass the maximum by under 0.5 µs.
    avg: n > 0 ? boundedLatency(t!.latencySumUs / n / 1000, max) : null,
    max,
    relative_error: RELATIVE_ACCURACY,
  };
}

/**
 * Totals, status breakdown, top routes and latency percentiles of a range, from the rollups: status
 * codes and levels from the full rollups, totals and latency from the per-source ones, top routes
 * from the per-route ones (narrowed by status, level or method, all from the full rollups:
 * narrowFactsQuery). Under a status filter the error figures count what matched: 5xx only is a 100%
 * error rate.
 */
export async function getSummary(db: Queryable, p: SummaryParams): Promise<Summary> {
  const totalsRead = totalsBy(db, p, 'source', "'all'");
  // Distinct clients are bounded by the records of the range (error-log lines can carry an address too).
  const records = totalsRead.then((t) => t.groups.get('all')?.records ?? 0);
  const [byStatus, totals, top, clients, bounds] = await Promise.all([
    countsByStatus(db, p), totalsRead, topRoutes(db, p, p.top), uniqueClients(db, p, records), firstAndLast(db, p),
  ]);
  const all = totals.groups.get('all');
  const statusCodes: Record<string, number> = {};
  const statusClasses: Record<string, number> = {};
  const levels: Record<string, number> = {};
  for (const s of byStatus) {
    levels[s.log_level] = (levels[s.log_level] ?? 0) + s.records;
    if (s.status_code === null) continue;
    statusCodes[s.status_code] = (statusCodes[s.status_code] ?? 0) + s.records;
    const cls = statusClass(s.status_code);
    statusClasses[cls] = (statusClasses[cls] ?? 0) + s.records;
  }
  const requests = all?.requests ?? 0;
  const errors = all?.errors ?? 0;
  return {
    start_date: p.startMs === null ? null : new Date(p.startMs).toISOString(),
    end_date: p.endMs === null ? null : new Date(p.endMs).toISOString(),
    total_requests: requests,
    total_records: all?.records ?? 0,
    error_count: errors,
    error_rate_pct: pct(errors, requests),
    client_error_count: all?.clientErrors ?? 0,
    status_classes: sortKeys(statusClasses),
    status_codes: sortKeys(statusCodes),
    levels: sortKeys(levels),
    top_endpoints: top.map((t) => ({ route: t.route, count: t.n, error_rate_pct: pct(t.errors, t.n) })),
    latency_ms: latencySummary(all),
    unique_clients: clients.count,
    unique_clients_error: clients.count === null ? null : clients.approximate ? Math.round(HLL_STANDARD_ERROR * 10_000) / 10_000 : 0,
    bytes_sent: all?.bytes ?? 0,
    first_timestamp: bounds.first,
    last_timestamp: bounds.last,
    source_of_truth: totals.sourceOfTruth,
  };
}

/** Records per status code and level (the full rollups; no histograms read). */
async function countsByStatus(db: Queryable, f: RecordFilter): Promise<{ status_code: number | null; log_level: string; records: number }[]> {
  const params: unknown[] = [];
  const facts = factsQuery(f, params);
  const res = await db.query<{ status_code: number | null; log_level: string; records: number }>(
    `SELECT status_code, log_level, sum(records) AS records FROM (${facts.sql}) AS facts GROUP BY status_code, log_level`,
    params,
  );
  return res.rows;
}

/** The routes with the most requests, with their 5xx count (the per-route rollups). */
async function topRoutes(db: Queryable, f: RecordFilter, top: number): Promise<{ route: string; n: number; errors: number }[]> {
  const params: unknown[] = [top];
  const facts = narrowFactsQuery(f, 'route', params, { latency: false });
  const res = await db.query<{ route: string; n: number; errors: number }>(
    `SELECT route, sum(requests) AS n, sum(errors) AS errors FROM (${facts.sql}) AS facts
     WHERE route IS NOT NULL GROUP BY route HAVING sum(requests) > 0 ORDER BY n DESC, route LIMIT $1`,
    params,
  );
  return res.rows;
}

/** `404` → `4xx`. */
export function statusClass(code: number): string {
  return `${Math.floor(code / 100)}xx`;
}

/** The same counts with their keys in order (stable answers, readable JSON). */
export function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The first and last time of a record the filter matches in its range: the newest partitions are read first for the last,
 * the oldest first for the first, a few at a time (src/db/partitionWalk.ts), each statement answered
 * by the time index of its partitions.
 */
export async function firstAndLast(db: Queryable, p: RecordFilter): Promise<{ first: string | null; last: string | null }> {
  const last = await edgeTime(db, p, 'newest');
  if (last === null) return { first: null, last: null };
  return { first: await edgeTime(db, p, 'oldest'), last };
}

async function edgeTime(db: Queryable, p: RecordFilter, order: 'newest' | 'oldest'): Promise<string | null> {
  for await (const chunk of partitionChunks(db, walkRange(p), order, true)) {
    const params: unknown[] = [];
    const conditions = [...filterConditions(p, RECORDS, params), ...chunkConditions('timestamp', chunk, params)];
    const res = await db.query<{ t: string | null }>(
      `SELECT ${order === 'newest' ? 'max' : 'min'}(timestamp) AS t FROM logs ${whereClause(conditions)}`, params,
    );
    const t = res.rows[0]?.t ?? null;
    if (t !== null) return t;
  }
  return null;
}

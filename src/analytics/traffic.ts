import type { Queryable } from '../db/db.js';
import { boundedQuantiles } from '../domain/latencyHistogram.js';
import { floorTo } from '../domain/timeBuckets.js';
import type { RecordFilter } from '../query/recordFilter.js';
import { factsQuery, narrowFactsQuery, totalsBy, type ReadOptions, type SourceOfTruth } from './facts.js';
import { firstAndLast } from './summary.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The intervals a client may ask for. */
export const TRAFFIC_INTERVALS = { '1m': MINUTE, '5m': 5 * MINUTE, '15m': 15 * MINUTE, '1h': HOUR, '1d': DAY } as const;
export type TrafficInterval = keyof typeof TRAFFIC_INTERVALS | 'auto';

/** `auto` picks the first of these that keeps a chart at most MAX_AUTO_POINTS wide. */
const AUTO_STEPS: [string, number][] = [
  ['1m', MINUTE], ['5m', 5 * MINUTE], ['15m', 15 * MINUTE], ['30m', 30 * MINUTE], ['1h', HOUR], ['3h', 3 * HOUR],
  ['6h', 6 * HOUR], ['12h', 12 * HOUR], ['1d', DAY],
];
const MAX_AUTO_POINTS = 300;
/** More points than a chart can show; an explicit interval that needs more is refused. */
export const MAX_POINTS = 5_000;
const TOP_GROUPS = 10;

export type TrafficGroupBy = 'status_class' | 'level' | 'route' | 'source';

export interface TrafficParams extends RecordFilter {
  interval: TrafficInterval;
  groupBy?: TrafficGroupBy;
}

export interface TrafficPoint {
  bucket: string;
  count: number;
  errors: number;
  client_errors: number;
  /** Never above the bucket's largest latency (boundedQuantiles). */
  p95_ms: number | null;
  /** From the same merged histogram as p95_ms, within the same relative error and bound. */
  p99_ms: number | null;
  groups?: Record<string, number>;
}

export interface Traffic {
  interval: string;
  start_date: string | null;
  end_date: string | null;
  group_by: TrafficGroupBy | null;
  series: TrafficPoint[];
  source_of_truth: SourceOfTruth;
}

/** Thrown when an explicit interval would give more than MAX_POINTS points. */
export class TooManyPointsError extends Error {}

const GROUP_SQL: Record<TrafficGroupBy, string> = {
  status_class: "coalesce((status_code / 100)::text || 'xx', 'none')",
  level: 'log_level',
  route: "coalesce(route, '(none)')",
  source: 'source',
};

/** The interval to use: the one asked for, or for `auto` the finest that keeps ≤ 300 points. */
export function chooseInterval(interval: TrafficInterval, spanMs: number): [string, number] {
  if (interval !== 'auto') return [interval, TRAFFIC_INTERVALS[interval]];
  return AUTO_STEPS.find(([, ms]) => spanMs / ms <= MAX_AUTO_POINTS) ?? AUTO_STEPS[AUTO_STEPS.length - 1]!;
}

/**
 * Counts, errors and p95/p99 latency per time bucket over the records the filter matches, every bucket present (zeros where nothing happened). With groupBy, each point also splits its count among the ten largest groups of
 * the range and `other`. Buckets are aligned to the interval in UTC.
 */
export async function getTraffic(db: Queryable, p: TrafficParams): Promise<Traffic> {
  const bounds = p.startMs === null || p.endMs === null ? await firstAndLast(db, p) : null;
  const startMs = p.startMs ?? (bounds?.first ? Date.parse(bounds.first) : null);
  const endMs = p.endMs ?? (bounds?.last ? Date.parse(bounds.last) + 1 : null);
  const [name, stepMs] = chooseInterval(p.interval, startMs !== null && endMs !== null ? endMs - startMs : 0);
  const empty = { interval: name, group_by: p.groupBy ?? null, start_date: iso(startMs), end_date: iso(endMs) };
  if (startMs === null || endMs === null) return { ...empty, series: [], source_of_truth: 'rollups' };
  const first = floorTo(startMs, stepMs);
  const points = Math.ceil((endMs - first) / stepMs);
  if (points > MAX_POINTS) throw new TooManyPointsError(`${points} points at ${name}; at most ${MAX_POINTS}: choose a larger interval or a shorter range`);

  // Within a day an interval of whole hours reads hourly rollups; shorter ones read minutes.
  const f: RecordFilter = { ...p, startMs, endMs };
  const read: ReadOptions = { coarsestMs: Math.min(stepMs, DAY) };
  // The bucket of a fact, as epoch ms (UTC-aligned like date_bin from the epoch); stepMs is a whole number.
  const bin = `(floor(extract(epoch FROM t) * 1000 / ${stepMs}) * ${stepMs})::bigint`;
  const [totals, groupRows] = await Promise.all([
    totalsBy(db, f, 'source', bin, read),
    p.groupBy ? groupCounts(db, f, read, bin, p.groupBy) : null,
  ]);
  const groups = groupRows ? groupsByBucket(groupRows) : null;
  const series: TrafficPoint[] = [];
  for (let b = first; b < endMs; b += stepMs) {
    const t = totals.groups.get(String(b));
    const [p95, p99] = t ? boundedQuantiles(t.hist ?? new Map<number, number>(), [0.95, 0.99], t.latencyMaxMs) : [null, null];
    const point: TrafficPoint = {
      bucket: new Date(b).toISOString(),
      count: t?.records ?? 0,
      errors: t?.errors ?? 0,
      client_errors: t?.clientErrors ?? 0,
      p95_ms: p95 ?? null,
      p99_ms: p99 ?? null,
    };
    if (groups) point.groups = groups.at(b);
    series.push(point);
  }
  return { ...empty, series, source_of_truth: totals.sourceOfTruth };
}

/**
 * Records per bucket for the TOP_GROUPS largest groups of the range and `other`: status classes and
 * levels from the full rollups, routes and sources from the narrow ones. The groups are ranked in
 * SQL and the rest summed there as `other`, so at most TOP_GROUPS + 1 rows per bucket come back,
 * whatever the number of routes. `r` is a group's rank (1 = largest; for `other` the rank of its
 * largest member, past TOP_GROUPS).
 */
async function groupCounts(db: Queryable, f: RecordFilter, read: ReadOptions, bin: string, groupBy: TrafficGroupBy): Promise<GroupRow[]> {
  const params: unknown[] = [];
  const facts = groupBy === 'status_class' || groupBy === 'level'
    ? factsQuery(f, params, read)
    : narrowFactsQuery(f, groupBy, params, { ...read, latency: false });
  const res = await db.query<{ b: string; g: string; r: number; n: number }>(
    // The cells (bucket × group) are summed once; the groups are ranked over them, and cut to the top and `other`.
    `WITH cells AS (SELECT ${bin} AS b, ${GROUP_SQL[groupBy]} AS g, sum(records) AS n FROM (${facts.sql}) AS facts GROUP BY 1, 2),
     ranked AS (SELECT g, row_number() OVER (ORDER BY sum(n) DESC, g COLLATE "C") AS r FROM cells GROUP BY g)
     SELECT cells.b::text AS b, CASE WHEN ranked.r <= ${TOP_GROUPS} THEN cells.g ELSE 'other' END AS g, min(ranked.r) AS r, sum(cells.n) AS n
     FROM cells JOIN ranked USING (g) GROUP BY 1, 2`,
    params,
  );
  return res.rows.map((row) => ({ b: Number(row.b), g: row.g, r: row.r, n: row.n }));
}

interface GroupRow {
  b: number;
  g: string;
  r: number;
  n: number;
}

/** Per bucket, the counts of the ten largest groups of the whole range and `other` (zeros included). */
function groupsByBucket(rows: GroupRow[]): { at(bucketMs: number): Record<string, number> } {
  const ranks = new Map<string, number>();
  for (const row of rows) ranks.set(row.g, Math.min(row.r, ranks.get(row.g) ?? Infinity));
  const names = [...ranks.entries()].sort((a, b) => a[1] - b[1]).map(([g]) => g);
  const zeros = (): Record<string, number> => Object.fromEntries(names.map((n) => [n, 0]));
  const cells = new Map<number, Record<string, number>>();
  for (const row of rows) {
    let cell = cells.get(row.b);
    if (!cell) cells.set(row.b, (cell = zeros()));
    cell[row.g] = (cell[row.g] ?? 0) + row.n;
  }
  return { at: (b) => cells.get(b) ?? zeros() };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * A rule's value over event time: matching and total records per minute (from the minute rollups
 * when the filter allows, else from the raw rows), then one value per window step. Steps are one
 * minute apart: the window ending at each whole minute.
 */
import type { Queryable } from '../db/db.js';
import { addHistogramText, BUCKET_INDEX_SQL, quantile, type BucketCounts } from '../domain/latencyHistogram.js';
import { floorTo } from '../domain/timeBuckets.js';
import { parseEndpointFilter, parseLevelFilter, parseSourceFilter, parseStatusFilter, type LogFilters } from '../search/filters.js';
import { filterSql } from '../search/searchLogs.js';
import { effectiveSettings, type Rule } from './rule.js';
import type { Step } from './stateMachine.js';

export const STEP_MS = 60_000;

export interface MinuteCounts {
  /** Records matching the rule's filter. */
  matching: number;
  /** Records of the rule's sources (the whole filter's scope): a ratio's denominator. */
  total: number;
}

/** The rule's filter in the form GET /logs uses (already validated with the rule). */
function logFilters(f: Rule['filter']): LogFilters {
  return {
    levels: f.level === undefined ? undefined : parseLevelFilter(f.level),
    status: f.status_code === undefined ? undefined : parseStatusFilter(f.status_code),
    endpoint: f.endpoint === undefined ? undefined : parseEndpointFilter(f.endpoint),
    sources: f.source === undefined ? undefined : parseSourceFilter(f.source),
    q: f.q,
  };
}

/**
 * Where a rule's records are counted, and how: the minute rollups hold everything but the raw line
 * and the exact endpoint, so a filter on `q` or `endpoint` reads raw rows. `where` bounds the time
 * to [fromMs, toMs), or with `ranges` (each [from, to), sorted, not overlapping) to those ranges
 * alone, clipped to it: with the whole span's bounds beside them, PostgreSQL may read the span's
 * index range too (a BitmapAnd over a week of minutes: 26 ms against 8 without). `where` also holds
 * the rule's sources, `match` the rest of its filter. `forceRaw` reads the raw rows whatever the filter.
 */
export function recordsQuery(
  filter: Rule['filter'], fromMs: number, toMs: number, opts: { forceRaw?: boolean; ranges?: readonly [number, number][] } = {},
): { raw: boolean; table: string; minute: string; where: string; match: string; params: unknown[] } {
  const f = logFilters(filter);
  const raw = opts.forceRaw === true || f.q !== undefined || f.endpoint !== undefined;
  const time = raw ? 'timestamp' : 'bucket';
  const params: unknown[] = [];
  const terms = (opts.ranges ?? [[fromMs, toMs]]).map(([from, to]) => {
    params.push(new Date(Math.max(from, fromMs)).toISOString(), new Date(Math.min(to, toMs)).toISOString());
    return `${time} >= $${params.length - 1}::timestamptz AND ${time} < $${params.length}::timestamptz`;
  });
  const scope = filterSql({ sources: f.sources }, params);
  const match = filterSql({ ...f, sources: undefined }, params);
  if (filter.route !== undefined) {
    params.push(filter.route);
    match.push(`route = $${params.length}`);
  }
  return {
    raw,
    table: raw ? 'logs' : 'rollups_1m',
    minute: `(floor(extract(epoch FROM ${time}) / 60) * 60000)::bigint`,
    where: [terms.length === 1 ? terms[0]! : `(${terms.map((t) => `(${t})`).join(' OR ')})`, ...scope].join(' AND '),
    match: match.length ? match.join(' AND ') : 'true',
    params,
  };
}

/**
 * Matching and total records per minute in [fromMs, toMs) (whole minutes), keyed by the minute's
 * start; only within `ranges` when given (as recordsQuery), so that an anomaly rule's baseline reads
 * its thirty windows rather than every minute of a week.
 */
export async function countsPerMinute(
  db: Queryable, filter: Rule['filter'], fromMs: number, toMs: number, ranges?: readonly [number, number][],
): Promise<Map<number, MinuteCounts>> {
  if (ranges?.length === 0) return new Map();
  const q = recordsQuery(filter, fromMs, toMs, { ranges });
  const n = q.raw ? '1' : 'records';
  const res = await db.query<{ minute: string; matching: number | null; total: number }>(
    `SELECT ${q.minute} AS minute, sum(${n}) FILTER (WHERE ${q.match}) AS matching, sum(${n}) AS total
     FROM ${q.table} WHERE ${q.where} GROUP BY 1`,
    q.params,
  );
  return new Map(res.rows.map((r) => [Number(r.minute), { matching: Number(r.matching ?? 0), total: Number(r.total) }]));
}

/** The latency histogram of the matching requests per minute in [fromMs, toMs), keyed by the minute's start. */
export async function latencyPerMinute(db: Queryable, filter: Rule['filter'], fromMs: number, toMs: number): Promise<Map<number, BucketCounts>> {
  const q = recordsQuery(filter, fromMs, toMs);
  const res = await db.query<{ minute: string; b: string; c: string }>(
    q.raw
      ? `SELECT minute, array_agg(b)::text AS b, array_agg(n)::text AS c FROM (
           SELECT ${q.minute} AS minute, ${BUCKET_INDEX_SQL} AS b, count(*) AS n FROM logs
           WHERE ${q.where} AND ${q.match} AND latency_ms IS NOT NULL GROUP BY 1, 2) AS h GROUP BY 1`
      : `SELECT ${q.minute} AS minute, latency_buckets::text AS b, latency_counts::text AS c
         FROM rollups_1m WHERE ${q.where} AND ${q.match} AND latency_count > 0`,
    q.params,
  );
  const out = new Map<number, BucketCounts>();
  for (const r of res.rows) {
    const minute = Number(r.minute);
    let hist = out.get(minute);
    if (hist === undefined) out.set(minute, (hist = new Map<number, number>()));
    addHistogramText(hist, r.b, r.c);
  }
  return out;
}

/** One step per window end (as countSteps): the rule's percentile of the window's latencies in ms, null without any. */
export function latencySteps(rule: Rule, hists: Map<number, BucketCounts>, firstEndMs: number, lastEndMs: number): Step[] {
  const { windowMs, percentile } = effectiveSettings(rule);
  const q = Number(percentile.slice(1)) / 100;
  const steps: Step[] = [];
  for (let end = firstEndMs; end <= lastEndMs; end += STEP_MS) {
    // Windows are minutes long; merging their few histograms afresh is simpler than subtracting.
    const window: BucketCounts = new Map();
    for (let m = end - windowMs; m < end; m += STEP_MS) {
      for (const [b, n] of hists.get(m) ?? []) window.set(b, (window.get(b) ?? 0) + n);
    }
    const v = quantile(window, q);
    steps.push({ windowStartMs: end - windowMs, windowEndMs: end, value: v === null ? null : Math.round(v * 1000) / 1000 });
  }
  return steps;
}

/**
 * One step per window end from `firstEndMs` to `lastEndMs` (whole minutes, inclusive), each the
 * rule's value over the window before it: the matching count (count, absence) or the matching share
 * of all records in percent (ratio; null while the window has fewer than `min_requests`).
 */
export function countSteps(rule: Rule, counts: Map<number, MinuteCounts>, firstEndMs: number, lastEndMs: number): Step[] {
  const { windowMs, minRequests } = effectiveSettings(rule);
  const steps: Step[] = [];
  let matching = 0;
  let total = 0;
  // A running sum: add the minute entering the window, drop the one leaving it.
  for (let m = firstEndMs - windowMs; m < firstEndMs - STEP_MS; m += STEP_MS) {
    matching += counts.get(m)?.matching ?? 0;
    total += counts.get(m)?.total ?? 0;
  }
  for (let end = firstEndMs; end <= lastEndMs; end += STEP_MS) {
    const entering = counts.get(end - STEP_MS);
    const leaving = end - windowMs - STEP_MS >= firstEndMs - windowMs ? counts.get(end - windowMs - STEP_MS) : undefined;
    matching += (entering?.matching ?? 0) - (leaving?.matching ?? 0);
    total += (entering?.total ?? 0) - (leaving?.total ?? 0);
    const value = rule.kind !== 'ratio' ? matching : total >= minRequests && total > 0 ? Math.round((matching / total) * 10_000) / 100 : null;
    steps.push({ windowStartMs: end - windowMs, windowEndMs: end, value });
  }
  return steps;
}


/** The window ends of a time range: every whole minute after its start, up to its end. */
export function windowEnds(startMs: number, endMs: number): { firstEndMs: number; lastEndMs: number } {
  return { firstEndMs: floorTo(startMs, STEP_MS) + STEP_MS, lastEndMs: floorTo(endMs, STEP_MS) };
}

const HOUR_MS = 3_600_000;
/**
 * Where an anomaly rule's baseline windows lie, before the window judged: the same window 1 to 24
 * hours earlier, and at the same time of day 2 to 7 days earlier (30 windows at most).
 */
const BASELINE_OFFSETS_MS = [
  ...Array.from({ length: 24 }, (_, i) => (i + 1) * HOUR_MS),
  ...Array.from({ length: 6 }, (_, i) => (i + 2) * 24 * HOUR_MS),
];
const LONGEST_OFFSET_MS = BASELINE_OFFSETS_MS[BASELINE_OFFSETS_MS.length - 1]!;

/** The time an anomaly rule reads for windows covering [fromMs, toMs): that span and each baseline offset of it, merged. */
function baselineRanges(fromMs: number, toMs: number): [number, number][] {
  const spans = [0, ...BASELINE_OFFSETS_MS].map((o): [number, number] => [fromMs - o, toMs - o]).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [from, to] of spans) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * One step per window end: how many robust standard deviations the window's matching count lies
 * from its baseline, (count − median) ÷ (1.4826 × MAD), the scale never below one record (a flat
 * baseline would make any change infinite). Baseline windows count only from the first minute with
 * data in the rule's scope; with fewer than `min_history` of them the value is null and the rule
 * cannot fire: history too short to judge.
 */
export function anomalySteps(rule: Rule, counts: Map<number, MinuteCounts>, firstEndMs: number, lastEndMs: number): Step[] {
  const { windowMs, minHistory } = effectiveSettings(rule);
  const base = firstEndMs - windowMs - LONGEST_OFFSET_MS;
  let dataStart = Infinity;
  for (const [m, c] of counts) if (c.total > 0 && m < dataStart) dataStart = m;
  // Prefix sums of matching records per minute from `base`: any window's count in O(1).
  const minutes = (lastEndMs - base) / STEP_MS;
  const prefix = new Float64Array(minutes + 1);
  for (let i = 0; i < minutes; i++) prefix[i + 1] = prefix[i]! + (counts.get(base + i * STEP_MS)?.matching ?? 0);
  const windowCount = (endMs: number): number => prefix[(endMs - base) / STEP_MS]! - prefix[(endMs - windowMs - base) / STEP_MS]!;
  const steps: Step[] = [];
  for (let end = firstEndMs; end <= lastEndMs; end += STEP_MS) {
    const baseline = BASELINE_OFFSETS_MS.map((o) => end - o).filter((e) => e - windowMs >= dataStart).map(windowCount);
    let value: number | null = null;
    if (baseline.length >= minHistory) {
      const m = median(baseline);
      const scale = Math.max(1.4826 * median(baseline.map((x) => Math.abs(x - m))), 1);
      value = Math.round(((windowCount(end) - m) / scale) * 100) / 100;
    }
    steps.push({ windowStartMs: end - windowMs, windowEndMs: end, value });
  }
  return steps;
}

const DAY_MS = 86_400_000;
const NEW_VALUE_COLUMN = { route: 'route', status_code: 'status_code', source: 'source' } as const;

/**
 * For a new_value rule: how many values of its field were seen for the first time in each minute
 * of [fromMs, toMs), among its matching records. "Before" is every day rollup before the day of
 * `fromMs`, the hour rollups of that day before the hour of `fromMs`, and the minutes of that hour
 * up to each minute: a tick late in the day reads a few hours, not ~1,400 minutes of keys. Only
 * rollups are read, so the rule's validation refuses q and endpoint filters.
 */
export async function firstSeenPerMinute(db: Queryable, rule: Rule, fromMs: number, toMs: number): Promise<Map<number, MinuteCounts>> {
  const column = NEW_VALUE_COLUMN[rule.field!];
  const params: unknown[] = [new Date(floorTo(fromMs, DAY_MS)).toISOString(), new Date(toMs).toISOString(), new Date(floorTo(fromMs, HOUR_MS)).toISOString()];
  const conditions = filterSql(logFilters(rule.filter), params);
  if (rule.filter.route !== undefined) {
    params.push(rule.filter.route);
    conditions.push(`route = $${params.length}`);
  }
  const match = conditions.length ? conditions.join(' AND ') : 'true';
  // Unqualified columns in `match` name the table of the query they stand in.
  const res = await db.query<{ minute: string }>(
    `SELECT (floor(extract(epoch FROM first) / 60) * 60000)::bigint AS minute FROM (
       SELECT ${column} AS v, min(bucket) AS first FROM rollups_1m
       WHERE bucket >= $3::timestamptz AND bucket < $2::timestamptz AND ${match} AND ${column} IS NOT NULL GROUP BY 1) AS seen
     WHERE NOT EXISTS (SELECT 1 FROM rollups_1h WHERE bucket >= $1::timestamptz AND bucket < $3::timestamptz AND ${match} AND ${column} = seen.v)
       AND NOT EXISTS (SELECT 1 FROM rollups_1d WHERE bucket < $1::timestamptz AND ${match} AND ${column} = seen.v)`,
    params,
  );
  const out = new Map<number, MinuteCounts>();
  for (const r of res.rows) {
    const minute = Number(r.minute);
    if (minute < fromMs) continue;
    const c = out.get(minute) ?? { matching: 0, total: 0 };
    c.matching++;
    out.set(minute, c);
  }
  return out;
}


/** The rule's steps for every window end from firstEndMs to lastEndMs (whole minutes, inclusive). */
export async function ruleSteps(db: Queryable, rule: Rule, firstEndMs: number, lastEndMs: number): Promise<Step[]> {
  if (lastEndMs < firstEndMs) return [];
  const fromMs = firstEndMs - effectiveSettings(rule).windowMs;
  if (rule.kind === 'latency') return latencySteps(rule, await latencyPerMinute(db, rule.filter, fromMs, lastEndMs), firstEndMs, lastEndMs);
  if (rule.kind === 'anomaly') {
    const ranges = baselineRanges(fromMs, lastEndMs);
    return anomalySteps(rule, await countsPerMinute(db, rule.filter, fromMs - LONGEST_OFFSET_MS, lastEndMs, ranges), firstEndMs, lastEndMs);
  }
  if (rule.kind === 'new_value') return countSteps(rule, await firstSeenPerMinute(db, rule, fromMs, lastEndMs), firstEndMs, lastEndMs);
  return countSteps(rule, await countsPerMinute(db, rule.filter, fromMs, lastEndMs), firstEndMs, lastEndMs);
}

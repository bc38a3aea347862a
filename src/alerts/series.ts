/**
 * A rule's minutes read from the database: matching and total records per minute (from the minute
 * rollups when the filter allows, else from the raw rows), latency histograms, first appearances.
 * stepChunks.ts turns them into one value per window step.
 */
import type { Queryable } from '../db/db.js';
import { addHistogramText, BUCKET_INDEX_SQL } from '../domain/latencyHistogram.js';
import { floorTo } from '../domain/timeBuckets.js';
import { parseEndpointFilter, parseLevelFilter, parseSourceFilter, parseStatusFilter, type LogFilters } from '../query/filterParams.js';
import { filterSql } from '../search/searchLogs.js';
import { STEP_MS, type MinuteCounts, type MinuteLatency, type Range, type RuleMinutes } from './minutes.js';
import type { Rule } from './rule.js';
import type { Step } from './stateMachine.js';
import { stepChunks } from './stepChunks.js';

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
  filter: Rule['filter'], fromMs: number, toMs: number, opts: { forceRaw?: boolean; ranges?: readonly Range[] } = {},
): { raw: boolean; table: string; time: string; minute: string; where: string; match: string; params: unknown[] } {
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
    time,
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
  db: Queryable, filter: Rule['filter'], fromMs: number, toMs: number, ranges?: readonly Range[],
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

/** The latency histogram of the matching requests per minute in [fromMs, toMs) (only within `ranges` when given), keyed by the minute's start. */
export async function latencyPerMinute(
  db: Queryable, filter: Rule['filter'], fromMs: number, toMs: number, ranges?: readonly Range[],
): Promise<Map<number, MinuteLatency>> {
  if (ranges?.length === 0) return new Map();
  const q = recordsQuery(filter, fromMs, toMs, { ranges });
  const res = await db.query<{ minute: string; b: string; c: string; max_ms: number }>(
    q.raw
      ? `SELECT minute, array_agg(b)::text AS b, array_agg(n)::text AS c, max(max_ms) AS max_ms FROM (
           SELECT ${q.minute} AS minute, ${BUCKET_INDEX_SQL} AS b, count(*) AS n, max(latency_ms) AS max_ms FROM logs
           WHERE ${q.where} AND ${q.match} AND latency_ms IS NOT NULL GROUP BY 1, 2) AS h GROUP BY 1`
      : `SELECT ${q.minute} AS minute, latency_buckets::text AS b, latency_counts::text AS c, latency_max_ms AS max_ms
         FROM rollups_1m WHERE ${q.where} AND ${q.match} AND latency_count > 0`,
    q.params,
  );
  const out = new Map<number, MinuteLatency>();
  for (const r of res.rows) {
    const minute = Number(r.minute);
    let m = out.get(minute);
    if (m === undefined) out.set(minute, (m = { hist: new Map<number, number>(), maxMs: r.max_ms }));
    addHistogramText(m.hist, r.b, r.c);
    m.maxMs = Math.max(m.maxMs, r.max_ms);
  }
  return out;
}

const HOUR_MS = 3_600_000;
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

/**
 * The first minute with any record in the filter's scope (its sources) within `ranges`: where an
 * anomaly rule's history starts. A minimum over the time index, not a scan of the ranges.
 */
export async function firstMinuteWithData(db: Queryable, filter: Rule['filter'], ranges: readonly Range[]): Promise<number | null> {
  if (ranges.length === 0) return null;
  const [fromMs, toMs] = [ranges[0]![0], ranges[ranges.length - 1]![1]];
  // The scope alone (the rest of the filter does not count here), from the table the rule's counts come from.
  const q = recordsQuery({ source: filter.source }, fromMs, toMs, { ranges, forceRaw: recordsQuery(filter, fromMs, toMs).raw });
  const res = await db.query<{ first: string | null }>(
    `SELECT min(${q.time}) AS first FROM ${q.table} WHERE ${q.where}${q.raw ? '' : ' AND records > 0'}`, q.params,
  );
  const first = res.rows[0]?.first;
  return first ? floorTo(Date.parse(first), STEP_MS) : null;
}

/** A rule's minutes from the database: what stepChunks reads. */
export function dbMinutes(db: Queryable, rule: Rule): RuleMinutes {
  const span = (ranges: readonly Range[]): [number, number] => [ranges[0]?.[0] ?? 0, ranges[ranges.length - 1]?.[1] ?? 0];
  return {
    counts: (ranges) => countsPerMinute(db, rule.filter, ...span(ranges), ranges),
    latency: (ranges) => latencyPerMinute(db, rule.filter, ...span(ranges), ranges),
    async firstSeen(ranges) {
      // A first appearance does not depend on where a read starts: each range is read on its own.
      const out = new Map<number, MinuteCounts>();
      for (const [from, to] of ranges) for (const [m, c] of await firstSeenPerMinute(db, rule, from, to)) out.set(m, c);
      return out;
    },
    firstDataMinute: (ranges) => firstMinuteWithData(db, rule.filter, ranges),
  };
}

/**
 * The rule's steps for every window end from firstEndMs to lastEndMs (whole minutes, inclusive), in
 * one array: for the short stretches of live evaluation (an hour at most) and single windows. Longer
 * ones go chunk by chunk (stepChunks).
 */
export async function ruleSteps(db: Queryable, rule: Rule, firstEndMs: number, lastEndMs: number): Promise<Step[]> {
  const steps: Step[] = [];
  for await (const chunk of stepChunks(dbMinutes(db, rule), rule, firstEndMs, lastEndMs)) steps.push(...chunk);
  return steps;
}

/** The window ends of a time range: every whole minute after its start, up to its end. */
export function windowEnds(startMs: number, endMs: number): { firstEndMs: number; lastEndMs: number } {
  return { firstEndMs: floorTo(startMs, STEP_MS) + STEP_MS, lastEndMs: floorTo(endMs, STEP_MS) };
}

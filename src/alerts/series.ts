/**
 * A rule's minutes read from the database: matching and total records per minute (from the minute
 * rollups when the filter allows, else from the raw rows), latency histograms, first appearances.
 * stepChunks.ts turns them into one value per window step.
 */
import type { Queryable } from '../db/db.js';
import { addHistogramText, BUCKET_INDEX_SQL } from '../domain/latencyHistogram.js';
import { floorTo } from '../domain/timeBuckets.js';
import { answers, filterConditions, FULL_ROLLUPS, RECORDS } from '../query/compileFilter.js';
import { FILTER_FIELDS, type RecordFilter } from '../query/recordFilter.js';
import { STEP_MS, type MinuteCounts, type MinuteLatency, type Range, type RuleMinutes } from './minutes.js';
import type { LoadedRule } from './rule.js';
import type { Step } from './stateMachine.js';
import { stepChunks } from './stepChunks.js';

/** Every field but the source: what a rule's records match within its scope. */
const MATCH_FIELDS = FILTER_FIELDS.filter((k) => k !== 'source');

/** Whether a filter's records are counted from raw rows: the minute rollups keep every field but the raw line and the exact path. */
export function readsRawRows(f: RecordFilter): boolean {
  return !answers(FULL_ROLLUPS, f);
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
  filter: RecordFilter, fromMs: number, toMs: number, opts: { forceRaw?: boolean; ranges?: readonly Range[] } = {},
): { raw: boolean; table: string; time: string; minute: string; where: string; match: string; params: unknown[] } {
  const raw = opts.forceRaw === true || readsRawRows(filter);
  const target = raw ? RECORDS : FULL_ROLLUPS;
  const time = target.time;
  const params: unknown[] = [];
  const terms = (opts.ranges ?? [[fromMs, toMs]]).map(([from, to]) => filterConditions(filter, target, params, {
    fields: [], range: { fromMs: Math.max(from, fromMs), toMs: Math.min(to, toMs) },
  }).join(' AND '));
  const scope = filterConditions(filter, target, params, { fields: ['source'], range: false });
  const match = filterConditions(filter, target, params, { fields: MATCH_FIELDS, range: false });
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
  db: Queryable, filter: RecordFilter, fromMs: number, toMs: number, ranges?: readonly Range[],
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
  db: Queryable, filter: RecordFilter, fromMs: number, toMs: number, ranges?: readonly Range[],
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
export async function firstSeenPerMinute(db: Queryable, rule: LoadedRule, fromMs: number, toMs: number): Promise<Map<number, MinuteCounts>> {
  const column = NEW_VALUE_COLUMN[rule.field!];
  const f = rule.recordFilter;
  const params: unknown[] = [];
  // Unqualified columns name the table of the query they stand in; FULL_ROLLUPS is each grain's key.
  const match = ['true', ...filterConditions(f, FULL_ROLLUPS, params, { range: false })].join(' AND ');
  const during = (from: number | null, to: number): string =>
    filterConditions(f, FULL_ROLLUPS, params, { fields: [], range: { fromMs: from, toMs: to } }).join(' AND ');
  const [dayStart, hourStart] = [floorTo(fromMs, DAY_MS), floorTo(fromMs, HOUR_MS)];
  const res = await db.query<{ minute: string }>(
    `SELECT (floor(extract(epoch FROM first) / 60) * 60000)::bigint AS minute FROM (
       SELECT ${column} AS v, min(bucket) AS first FROM rollups_1m
       WHERE ${during(hourStart, toMs)} AND ${match} AND ${column} IS NOT NULL GROUP BY 1) AS seen
     WHERE NOT EXISTS (SELECT 1 FROM rollups_1h WHERE ${during(dayStart, hourStart)} AND ${match} AND ${column} = seen.v)
       AND NOT EXISTS (SELECT 1 FROM rollups_1d WHERE ${during(null, dayStart)} AND ${match} AND ${column} = seen.v)`,
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
export async function firstMinuteWithData(db: Queryable, filter: RecordFilter, ranges: readonly Range[]): Promise<number | null> {
  if (ranges.length === 0) return null;
  const [fromMs, toMs] = [ranges[0]![0], ranges[ranges.length - 1]![1]];
  // The scope alone (the rest of the filter does not count here), from the table the rule's counts come from.
  const scope: RecordFilter = { startMs: null, endMs: null, sources: filter.sources };
  const q = recordsQuery(scope, fromMs, toMs, { ranges, forceRaw: readsRawRows(filter) });
  const res = await db.query<{ first: string | null }>(
    `SELECT min(${q.time}) AS first FROM ${q.table} WHERE ${q.where}${q.raw ? '' : ' AND records > 0'}`, q.params,
  );
  const first = res.rows[0]?.first;
  return first ? floorTo(Date.parse(first), STEP_MS) : null;
}

/** A rule's minutes from the database: what stepChunks reads. */
export function dbMinutes(db: Queryable, rule: LoadedRule): RuleMinutes {
  const span = (ranges: readonly Range[]): [number, number] => [ranges[0]?.[0] ?? 0, ranges[ranges.length - 1]?.[1] ?? 0];
  return {
    counts: (ranges) => countsPerMinute(db, rule.recordFilter, ...span(ranges), ranges),
    latency: (ranges) => latencyPerMinute(db, rule.recordFilter, ...span(ranges), ranges),
    async firstSeen(ranges) {
      // A first appearance does not depend on where a read starts: each range is read on its own.
      const out = new Map<number, MinuteCounts>();
      for (const [from, to] of ranges) for (const [m, c] of await firstSeenPerMinute(db, rule, from, to)) out.set(m, c);
      return out;
    },
    firstDataMinute: (ranges) => firstMinuteWithData(db, rule.recordFilter, ranges),
  };
}

/**
 * The rule's steps for every window end from firstEndMs to lastEndMs (whole minutes, inclusive), in
 * one array: for the short stretches of live evaluation (an hour at most) and single windows. Longer
 * ones go chunk by chunk (stepChunks).
 */
export async function ruleSteps(db: Queryable, rule: LoadedRule, firstEndMs: number, lastEndMs: number): Promise<Step[]> {
  const steps: Step[] = [];
  for await (const chunk of stepChunks(dbMinutes(db, rule), rule, firstEndMs, lastEndMs)) steps.push(...chunk);
  return steps;
}

/** The window ends of a time range: every whole minute after its start, up to its end. */
export function windowEnds(startMs: number, endMs: number): { firstEndMs: number; lastEndMs: number } {
  return { firstEndMs: floorTo(startMs, STEP_MS) + STEP_MS, lastEndMs: floorTo(endMs, STEP_MS) };
}

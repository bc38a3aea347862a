/**
 * A rule's value over event time: matching and total records per minute (from the minute rollups
 * when the filter allows, else from the raw rows), then one value per window step. Steps are one
 * minute apart: the window ending at each whole minute.
 */
import type { Queryable } from '../db/db.js';
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
 * Matching and total records per minute in [fromMs, toMs) (whole minutes), keyed by the minute's
 * start. The minute rollups hold everything but the raw line and the exact endpoint: a filter on
 * `q` or `endpoint` counts raw rows.
 */
export async function countsPerMinute(db: Queryable, filter: Rule['filter'], fromMs: number, toMs: number): Promise<Map<number, MinuteCounts>> {
  const f = logFilters(filter);
  const raw = f.q !== undefined || f.endpoint !== undefined;
  const params: unknown[] = [new Date(fromMs).toISOString(), new Date(toMs).toISOString()];
  const scope = filterSql({ sources: f.sources }, params);
  const match = filterSql({ ...f, sources: undefined }, params);
  if (filter.route !== undefined) {
    params.push(filter.route);
    match.push(`route = $${params.length}`);
  }
  const matching = match.length ? match.join(' AND ') : 'true';
  const [time, table, n] = raw ? ['timestamp', 'logs', '1'] : ['bucket', 'rollups_1m', 'records'];
  const res = await db.query<{ minute: string; matching: number | null; total: number }>(
    `SELECT (floor(extract(epoch FROM ${time}) / 60) * 60000)::bigint AS minute,
            sum(${n}) FILTER (WHERE ${matching}) AS matching, sum(${n}) AS total
     FROM ${table} WHERE ${[`${time} >= $1::timestamptz`, `${time} < $2::timestamptz`, ...scope].join(' AND ')}
     GROUP BY 1`,
    params,
  );
  return new Map(res.rows.map((r) => [Number(r.minute), { matching: Number(r.matching ?? 0), total: Number(r.total) }]));
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

/** The kinds whose value is a count of records per window. */
export const COUNT_KINDS: readonly Rule['kind'][] = ['count', 'ratio', 'absence'];

/** The window ends of a time range: every whole minute after its start, up to its end. */
export function windowEnds(startMs: number, endMs: number): { firstEndMs: number; lastEndMs: number } {
  return { firstEndMs: floorTo(startMs, STEP_MS) + STEP_MS, lastEndMs: floorTo(endMs, STEP_MS) };
}

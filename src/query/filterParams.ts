import { LOG_LEVELS, type LogLevel } from '../domain/record.js';

/** A parsed `status_code` term: one code or an inclusive range (`5xx` = 500–599). */
export type StatusTerm = { from: number; to: number };

export class FilterError extends Error {
  constructor(
    readonly param: string,
    reason: string,
  ) {
    super(reason);
  }
}

function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** `500`, `5xx`, `400-499`, or a comma list of these. */
export function parseStatusFilter(value: string): StatusTerm[] {
  const terms = splitList(value);
  if (terms.length === 0 || terms.length > 50) throw new FilterError('status_code', 'expected 1 to 50 comma-separated terms');
  return terms.map((t) => {
    let m = /^([1-5])xx$/i.exec(t);
    if (m) return { from: Number(m[1]) * 100, to: Number(m[1]) * 100 + 99 };
    m = /^(\d{3})-(\d{3})$/.exec(t);
    if (m) {
      const from = Number(m[1]);
      const to = Number(m[2]);
      if (from > to) throw new FilterError('status_code', `range '${t}' ends before it starts`);
      return { from, to };
    }
    if (/^\d{3}$/.test(t)) return { from: Number(t), to: Number(t) };
    throw new FilterError('status_code', `'${t.slice(0, 40)}' is not a status code, class (5xx) or range (400-499)`);
  });
}

export function parseLevelFilter(value: string): LogLevel[] {
  const levels = splitList(value).map((l) => l.toUpperCase());
  const bad = levels.find((l) => !(LOG_LEVELS as readonly string[]).includes(l));
  if (bad !== undefined || levels.length === 0) {
    throw new FilterError('level', `'${(bad ?? value).slice(0, 40)}' is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return [...new Set(levels)] as LogLevel[];
}

/** An exact request path, or a prefix (the user wrote a trailing `*`). */
export interface EndpointMatch {
  value: string;
  prefix: boolean;
}

export function parseEndpointFilter(value: string): EndpointMatch {
  if (value.length > 2048) throw new FilterError('endpoint', 'longer than 2048 characters');
  return value.endsWith('*') ? { value: value.slice(0, -1), prefix: true } : { value, prefix: false };
}

export function parseSourceFilter(value: string): string[] {
  const sources = splitList(value);
  if (sources.length === 0 || sources.length > 50) throw new FilterError('source', 'expected 1 to 50 comma-separated sources');
  return sources;
}

/** Routes, each given whole (a route may hold a comma): at most 50, each at most 2048 characters. */
export function parseRouteFilter(values: readonly string[]): string[] {
  const routes = values.filter((r) => r !== '');
  if (routes.length === 0 || routes.length > 50) throw new FilterError('route', 'expected 1 to 50 routes (repeat the parameter for several)');
  const long = routes.find((r) => r.length > 2048);
  if (long !== undefined) throw new FilterError('route', 'longer than 2048 characters');
  return [...new Set(routes)];
}

/** One or a comma list of HTTP methods (`GET`, `post`), compared in upper case. */
export function parseMethodFilter(value: string): string[] {
  const methods = splitList(value).map((m) => m.toUpperCase());
  const bad = methods.find((m) => !/^[A-Z][A-Z_-]{0,31}$/.test(m));
  if (bad !== undefined || methods.length === 0 || methods.length > 20) {
    throw new FilterError('method', `'${(bad ?? value).slice(0, 40)}' is not an HTTP method (GET, POST, …; 1 to 20, comma-separated)`);
  }
  return [...new Set(methods)];
}

const MIN_DATE_MS = Date.UTC(1970, 0, 1);
const MAX_DATE_MS = Date.UTC(2100, 0, 1);

const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/i;

/**
 * A query string decodes `+` to a space, so `?start_date=2026-10-01T00:00:00+02:00` arrives with a space
 * before the offset: read it as the `+` it was (as many APIs do). Only after a time, so that a date and a
 * time (`2026-10-01 02:00`) stay what they are.
 */
const SPACED_OFFSET = /^(.+\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$/;
/** An offset of hours alone (`+02`), which ISO 8601 allows and V8's Date.parse does not. */
const HOURS_OFFSET = /(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-]\d{2})$/;
const PLUS_IN_URL = 'in a URL, write + as %2B';

/**
 * What a relative time counts from: the clock, and the newest stored record (of the sources asked about).
 * `latestMs` is undefined when the caller did not look it up (it only does when a value names `latest`,
 * see `namesLatest`), null when there is no record: `latest` then falls back to now, so that an empty
 * store answers empty with its hint rather than a refusal.
 */
export interface DateAnchors {
  nowMs: number;
  latestMs?: number | null | undefined;
}

const RELATIVE = /^\s*(now|latest)?\s*(?:([+-]|\s)\s*(\d{1,7})\s*([smhdw]))?\s*$/i;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
export const DATE_FORMS = 'ISO 8601 (2026-10-01T00:00:00Z), or relative: now, now-1h, -24h (= now-24h), latest, latest-24h '
  + '(latest: just after the newest stored record), units s, m, h, d, w';

/** Whether a date parameter is relative to the newest stored record, which the caller must then look up. */
export function namesLatest(given: string | undefined): boolean {
  return given !== undefined && /^\s*latest/i.test(given);
}

/**
 * `now`, `now-1h`, `-24h`, `latest`, `latest-24h`, `now+2d` (a `+` decoded to a space is read as `+`),
 * or null when the value is not of that form. A bare sign means now.
 */
export function parseRelativeDate(param: string, given: string, anchors: DateAnchors): number | null {
  const m = RELATIVE.exec(given);
  if (!m || (m[1] === undefined && m[2] === undefined)) return null;
  // '2026' alone, or a sign-less number without an anchor, is not relative: let the ISO reader refuse it.
  if (m[1] === undefined && m[2]!.trim() === '') return null;
  const anchor = (m[1] ?? 'now').toLowerCase();
  let base = anchors.nowMs;
  if (anchor === 'latest') {
    if (anchors.latestMs === undefined) throw new Error(`parseRelativeDate: ${param} names latest, but the newest record was not looked up`);
    // Just after the newest record, so that `end_date=latest` (exclusive) still holds it.
    if (anchors.latestMs !== null) base = anchors.latestMs + 1;
  }
  if (m[2] === undefined) return base;
  const sign = m[2] === '-' ? -1 : 1;
  return base + sign * Number(m[3]) * UNIT_MS[m[4]!.toLowerCase()]!;
}

/**
 * ISO 8601 date or date-time (without a zone it is UTC), or a time relative to now or to the newest
 * record (`parseRelativeDate`). Returns a normalised ISO string. Without `anchors`, relative times count
 * from the clock and `latest` is refused as a programming error (look it up first, see `namesLatest`).
 */
export function parseDateParam(param: string, given: string, anchors: DateAnchors = { nowMs: Date.now() }): string {
  const relativeMs = parseRelativeDate(param, given, anchors);
  if (relativeMs !== null) return checkedIso(param, relativeMs);
  const value = given.replace(SPACED_OFFSET, '$1+$2').replace(HOURS_OFFSET, '$1$2:00');
  const shown = `'${given.slice(0, 40)}'`;
  if (!ISO_8601.test(value)) throw new FilterError(param, `${shown} is not a date: expected ${DATE_FORMS}; ${PLUS_IN_URL}`);
  const hasZone = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value) && value.length > 10;
  const normalised = value.length === 10 ? `${value}T00:00:00Z` : hasZone ? value : `${value}Z`;
  const ms = Date.parse(normalised.replace(' ', 'T'));
  if (Number.isNaN(ms)) throw new FilterError(param, `${shown} is not a valid date (${PLUS_IN_URL})`);
  return checkedIso(param, ms);
}

function checkedIso(param: string, ms: number): string {
  // Records lie in 1970–2099 (parseSpoolFile rejects the rest). Unbounded years were a 500: PostgreSQL
  // has no year 0000, and ranges derived from the bounds (`compare=previous`, bucket ends) crossed
  // year 9999, which toISOString writes as '+010000-…' and PostgreSQL refuses.
  if (ms < MIN_DATE_MS || ms > MAX_DATE_MS) throw new FilterError(param, 'must be between 1970-01-01 and 2100-01-01');
  return new Date(ms).toISOString();
}

/** Escapes LIKE wildcards so that `%` and `_` in a search are taken literally (backslash is LIKE's default escape). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

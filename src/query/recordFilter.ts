/**
 * The record filter: which records a question is about ("5xx for web-1 on this route in the last
 * hour"), parsed and validated once, from query parameters or an alert rule's body, into one value
 * that search, analytics, alert series, backtests, evidence and the live tail all take.
 * compileFilter.ts turns it into SQL; nothing else does.
 */
import type { LogLevel } from '../domain/record.js';
import {
  FilterError, parseDateParam, parseEndpointFilter, parseLevelFilter, parseMethodFilter, parseRouteFilter, parseSourceFilter,
  parseStatusFilter, type DateAnchors, type EndpointMatch, type StatusTerm,
} from './filterParams.js';

export interface RecordFilter {
  /** Inclusive start, epoch ms; null: unbounded. */
  startMs: number | null;
  /** Exclusive end, epoch ms; null: unbounded. */
  endMs: number | null;
  sources?: readonly string[] | undefined;
  /** Any of these codes, ranges or classes. */
  status?: readonly StatusTerm[] | undefined;
  levels?: readonly LogLevel[] | undefined;
  /** Normalised routes (`/api/users/{id}`), as stored with each record. */
  routes?: readonly string[] | undefined;
  endpoint?: EndpointMatch | undefined;
  /** HTTP methods, upper case. */
  methods?: readonly string[] | undefined;
  /** Case-insensitive substring of the raw line. */
  q?: string | undefined;
}

/** The fields besides time, by the name of the parameter that sets each: what a 400 names. */
export const FILTER_FIELDS = ['source', 'status_code', 'level', 'route', 'endpoint', 'method', 'q'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

/** A filter as parameters: the query string of GET /logs, /analytics/… and the tail, or an alert rule's `filter`. */
export interface FilterParams {
  start_date?: string | undefined;
  end_date?: string | undefined;
  source?: string | undefined;
  status_code?: string | undefined;
  level?: string | undefined;
  /** One route, or several (a route may hold a comma, so a list is the parameter repeated). */
  route?: string | readonly string[] | undefined;
  endpoint?: string | undefined;
  method?: string | undefined;
  q?: string | undefined;
}

/** The parameters' names, for an API that refuses the ones it does not know. */
export const FILTER_PARAMS = ['start_date', 'end_date', ...FILTER_FIELDS] as const;

/** Given and not empty: an empty parameter (`?level=`) filters nothing, as a form leaves it. */
const given = (v: string | undefined): v is string => v !== undefined && v !== '';

/**
 * Parses and validates every parameter; a bad one throws FilterError naming it. Relative dates count
 * from `anchors` (the clock, and the newest record when a date names `latest`: look it up first).
 */
export function recordFilterOf(p: FilterParams, anchors?: DateAnchors): RecordFilter {
  const startMs = given(p.start_date) ? Date.parse(parseDateParam('start_date', p.start_date, anchors)) : null;
  const endMs = given(p.end_date) ? Date.parse(parseDateParam('end_date', p.end_date, anchors)) : null;
  if (startMs !== null && endMs !== null && startMs >= endMs) throw new FilterError('end_date', 'must be after start_date');
  const routes = typeof p.route === 'string' ? [p.route] : p.route;
  const f: RecordFilter = {
    startMs,
    endMs,
    sources: given(p.source) ? parseSourceFilter(p.source) : undefined,
    status: given(p.status_code) ? parseStatusFilter(p.status_code) : undefined,
    levels: given(p.level) ? parseLevelFilter(p.level) : undefined,
    routes: routes !== undefined && routes.some((r) => r !== '') ? parseRouteFilter(routes) : undefined,
    endpoint: given(p.endpoint) ? parseEndpointFilter(p.endpoint) : undefined,
    methods: given(p.method) ? parseMethodFilter(p.method) : undefined,
    q: given(p.q) ? p.q : undefined,
  };
  if (f.routes !== undefined && f.endpoint !== undefined) throw new FilterError('route', 'give route or endpoint, not both');
  return f;
}

/** The sources a filter's parameters name (null: all), without the rest: what `latest` counts from. */
export function sourcesOf(p: Pick<FilterParams, 'source'>): readonly string[] | null {
  return given(p.source) ? parseSourceFilter(p.source) : null;
}

/** The fields a filter sets, besides time. */
export function filterFields(f: RecordFilter): FilterField[] {
  const set: Record<FilterField, unknown> = {
    source: f.sources, status_code: f.status, level: f.levels, route: f.routes, endpoint: f.endpoint, method: f.methods, q: f.q,
  };
  return FILTER_FIELDS.filter((k) => set[k] !== undefined);
}

/** The filter without some of its fields (time stays). */
export function withoutFields(f: RecordFilter, fields: readonly FilterField[]): RecordFilter {
  const out: RecordFilter = { ...f };
  for (const field of fields) {
    if (field === 'source') out.sources = undefined;
    else if (field === 'status_code') out.status = undefined;
    else if (field === 'level') out.levels = undefined;
    else if (field === 'route') out.routes = undefined;
    else if (field === 'endpoint') out.endpoint = undefined;
    else if (field === 'method') out.methods = undefined;
    else out.q = undefined;
  }
  return out;
}


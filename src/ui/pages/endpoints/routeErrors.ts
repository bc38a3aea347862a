import { RouteNormaliser, type RouteRule } from '../../../parse/routes.js';
import { api } from '../../api.js';
import type { ViewRange } from '../../range.js';
import { rangeQuery } from '../../range.js';

/** The fields of a GET /logs row this page shows. */
export interface LogLine {
  id: number;
  timestamp: string;
  status_code: number | null;
  method: string | null;
  endpoint: string | null;
  latency_ms: number | null;
  client_ip: string | null;
  source: string;
  raw_log: string;
}

export interface RouteErrors {
  lines: LogLine[];
  /** The `endpoint` filter sent to GET /logs: an exact path, or a prefix ending in `*`. */
  endpointFilter: string;
  /** 5xx lines read under that filter (this route's and others'). */
  scanned: number;
  /** Whether every 5xx line under the filter in the range was read (else only the most recent). */
  complete: boolean;
}

const WANTED = 20;
const PAGE = 500;
const MAX_PAGES = 4;

/** The route up to its first placeholder (`/api/users/{id}` → `/api/users/`), or up to a capped tail `/…`. */
export function staticPrefix(text: string, wildcard: string): string {
  const cut = [text.indexOf(wildcard), text.indexOf('/…')].filter((i) => i >= 0);
  return cut.length ? text.slice(0, Math.min(...cut)) : text;
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

/**
 * The `endpoint` filter that finds every path of a route: its static part as a prefix, widened to
 * the static part of each route rule whose template is this route (a rule may give any path this
 * name). A route with neither placeholder nor rule is a path of its own: an exact match.
 */
export function endpointFilterFor(route: string, rules: readonly RouteRule[]): { filter: string; exact: boolean } {
  const own = staticPrefix(route, '{');
  const fromRules = rules.filter((r) => r.template === route).map((r) => staticPrefix(r.pattern, '*'));
  if (own === route && fromRules.length === 0) return { filter: route, exact: true };
  const prefix = fromRules.reduce(commonPrefix, own);
  return { filter: `${prefix}*`, exact: false };
}

/**
 * The route's most recent 5xx lines. GET /logs filters by path, not by route, so this asks for the
 * 5xx lines under the route's static prefix and keeps those whose path normalises to the route, with
 * the same normaliser and the current route rules that ingestion uses. It is exact unless rules
 * changed after the records were stored (and no rebuild followed), and it reads at most
 * MAX_PAGES × PAGE lines, so a prefix shared with much busier failing routes may show fewer lines.
 */
export async function routeErrors(route: string, range: ViewRange, signal: AbortSignal): Promise<RouteErrors> {
  const rules = await api.get<{ items: RouteRule[] }>('/analytics/route-rules', {}, signal);
  const normaliser = new RouteNormaliser(rules.items.map((r) => ({ pattern: r.pattern, template: r.template })));
  const { filter } = endpointFilterFor(route, rules.items);
  const lines: LogLine[] = [];
  let scanned = 0;
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES && lines.length < WANTED; page++) {
    const res: { items: LogLine[]; next_cursor: string | null } = await api.get('/logs',
      { ...rangeQuery(range), endpoint: filter, status_code: '5xx', limit: PAGE, cursor }, signal);
    scanned += res.items.length;
    for (const line of res.items) if (lines.length < WANTED && normaliser.route(line.endpoint) === route) lines.push(line);
    cursor = res.next_cursor;
    if (cursor === null) break;
  }
  return { lines, endpointFilter: filter, scanned, complete: cursor === null };
}

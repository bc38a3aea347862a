import type { LogItem, LogPage } from '../../../api/wireTypes.js';
import { api } from '../../api.js';
import { rangeQuery, type ViewRange } from '../../range.js';

export interface RouteErrors {
  /** The route's most recent 5xx lines of the range, newest first. */
  lines: LogItem[];
  /** More than these lines match (the Logs page link shows them all). */
  more: boolean;
}

export const WANTED_LINES = 20;

/**
 * The route's most recent 5xx lines: GET /logs narrowed by the route stored with each record, so the
 * answer is exact whatever paths the route covers and however the route rules have changed since.
 */
export async function routeErrors(route: string, range: ViewRange, signal: AbortSignal): Promise<RouteErrors> {
  const page = await api.get<LogPage>('/logs', { ...rangeQuery(range), route, status_code: '5xx', limit: WANTED_LINES }, signal);
  return { lines: page.items, more: page.next_cursor !== null };
}

import type { LogItem, LogPage } from '../../../api/wireTypes.js';
import { api, type Query } from '../../api.js';

export interface RouteErrors {
  /** The route's most recent 5xx lines of the range, newest first. */
  lines: LogItem[];
  /** More than these lines match (the Logs page link shows them all). */
  more: boolean;
}

export const WANTED_LINES = 20;

/**
 * The route's most recent 5xx lines under the page's range and filters: GET /logs narrowed by the route
 * stored with each record, so the answer is exact whatever paths the route covers and however the route
 * rules have changed since.
 */
export async function routeErrors(route: string, query: Query, signal: AbortSignal): Promise<RouteErrors> {
  const page = await api.get<LogPage>('/logs', { ...query, route, status_code: '5xx', limit: WANTED_LINES }, signal);
  return { lines: page.items, more: page.next_cursor !== null };
}

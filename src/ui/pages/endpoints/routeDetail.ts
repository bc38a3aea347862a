import { api, describeError, type Query } from '../../api.js';
import { fmtInt, fmtMs, fmtPct, fmtTime, h, notice } from '../../dom.js';
import { pageLink, type PageContext } from '../../page.js';
import { latencyPanel, selectRange, trafficPanel, type Traffic } from '../overview/timeCharts.js';
import { routeErrors, WANTED_LINES, type RouteErrors } from './routeErrors.js';
import type { EndpointRow } from './table.js';

function errorLines(ctx: PageContext, route: string, e: RouteErrors): HTMLElement {
  const title = h('h2', {}, 'Recent errors (5xx)');
  if (e.lines.length === 0) return h('section', { class: 'panel' }, title, notice('empty', 'No 5xx responses for this route in this range.'));
  const extent = e.more ? `The ${WANTED_LINES} most recent.` : `All ${e.lines.length} in this range.`;
  // The same question on the Logs page: every line, with the filters at hand to change it.
  const logsLink = pageLink(ctx, 'logs', { route, status_code: '5xx' }, 'Open on the Logs page');
  const table = h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'route-errors' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Time (UTC)'), h('th', {}, 'Status'), h('th', {}, 'Request'), h('th', { class: 'num' }, 'Latency'), h('th', {}, 'Client'))),
    h('tbody', {}, ...e.lines.map((l) => h('tr', { 'data-id': l.id, title: l.raw_log },
      h('td', { class: 'mono nowrap' }, fmtTime(l.timestamp)),
      h('td', { class: 'status-5xx' }, String(l.status_code ?? '')),
      h('td', { class: 'mono ep-path' }, `${l.method ?? ''} ${l.endpoint ?? ''}`),
      h('td', { class: 'num' }, fmtMs(l.latency_ms)),
      h('td', { class: 'mono' }, l.client_ip ?? ''))))));
  return h('section', { class: 'panel' }, title, table, h('p', { class: 'notice', 'data-testid': 'route-errors-note' }, `${extent} `, logsLink));
}

/**
 * A route's own traffic (by status class), latency (p95/p99) and recent 5xx lines, under the page's
 * range and filters (`query`). The charts and
 * the lines load in parallel; a failure of one is shown in its place without hiding the other.
 */
export async function routeDetail(
  ctx: PageContext, route: string, query: Query, rowLookup: Promise<EndpointRow | undefined>,
): Promise<{ element: HTMLElement; draw: () => void }> {
  const [traffic, errors, found] = await Promise.allSettled([
    api.get<Traffic>('/analytics/traffic', { ...query, route, group_by: 'status_class' }, ctx.signal),
    routeErrors(route, query, ctx.signal),
    rowLookup, // the routes list: its failure is the page's to show
  ]);
  const row = found.status === 'fulfilled' ? found.value : undefined;
  const figures = row
    ? `${fmtInt(row.count)} requests · ${fmtPct(row.error_rate_pct)} errors · p95 ${fmtMs(row.p95_ms)} · p99 ${fmtMs(row.p99_ms)}`
    : 'Not among the routes listed below for this range.';
  const close = h('button', { type: 'button', 'aria-label': 'Close route', onclick: () => ctx.navigate({ route: null }) }, '×');
  const section = h('section', { class: 'ep-detail', 'data-testid': 'route-detail', 'data-route': route },
    h('div', { class: 'ep-detail-head' }, h('h2', { class: 'mono' }, route), close),
    h('p', { class: 'notice' }, figures));
  const charts = h('div', { class: 'grid' });
  section.append(charts);
  const draws: (() => () => void)[] = [];
  if (traffic.status === 'fulfilled') {
    const select = selectRange(ctx);
    const panels = [trafficPanel(traffic.value, 'Requests by status class', select), latencyPanel(traffic.value, 'Latency p95 / p99', select)];
    charts.append(...panels.map((p) => p.element));
    draws.push(...panels.map((p) => p.draw));
  } else {
    charts.append(notice('error', `Charts: ${describeError(traffic.reason)}`));
  }
  section.append(errors.status === 'fulfilled' ? errorLines(ctx, route, errors.value) : notice('error', `Error lines: ${describeError(errors.reason)}`));
  // The caller draws the charts once the section is in the document (uPlot reads its width).
  return { element: section, draw: () => { for (const d of draws) ctx.onLeave(d()); } };
}

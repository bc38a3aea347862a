import type { Summary, Traffic } from '../../api/wireTypes.js';
import { api } from '../api.js';
import { clear, h, notice } from '../dom.js';
import { ANALYTICS_FILTERS, filterBar, filterQuery, isFilterRefusal } from '../filterBar.js';
import type { PageContext } from '../page.js';
import { resolveRange, sourceNames } from '../range.js';
import { statusCodes, statusCodesOf, topRoutes } from './overview/lists.js';
import { latencyPanel, selectRange, trafficPanel, type ChartPanel } from './overview/timeCharts.js';
import { tiles } from './overview/tiles.js';

/** The way to the Uploads page, for empty states. */
function uploadsLink(ctx: PageContext): HTMLElement {
  return h('button', { type: 'button', class: 'link', onclick: () => ctx.navigate({}, { page: 'uploads' }) }, 'Uploads page');
}

/**
 * Overview: tiles with the change against the period before, traffic by status class, latency, top
 * routes and status codes, for the URL's range and filters.
 */
export async function render(ctx: PageContext): Promise<void> {
  ctx.root.append(h('h1', {}, 'Overview'), notice('loading', 'Loading…'));
  const range = await resolveRange(ctx.params, ctx.signal);
  const q = filterQuery(ctx.params, range, ANALYTICS_FILTERS);
  // Independent questions, asked together: the page costs the slowest one, not their sum.
  const [sources, answers] = await Promise.all([
    sourceNames(ctx.signal),
    Promise.all([
      api.get<Summary>('/analytics/summary', { ...q, compare: 'previous', top: 10 }, ctx.signal),
      api.get<Traffic>('/analytics/traffic', { ...q, group_by: 'status_class' }, ctx.signal),
    ]).catch((err: unknown) => {
      if (isFilterRefusal(err)) return err;
      throw err;
    }),
  ]);
  clear(ctx.root);
  const bar = filterBar({ params: ctx.params, range, sources, fields: ANALYTICS_FILTERS, apply: (p) => ctx.navigate(p) });
  ctx.root.append(h('h1', {}, 'Overview'), bar.el);
  if (!Array.isArray(answers)) {
    bar.showError(answers);
    return;
  }
  const [summary, traffic] = answers;

  if (summary.total_records === 0) {
    const text = sources.length === 0
      ? 'No data yet — upload a log on the '
      : 'No data in this range — choose another range or other filters above, or upload a log on the ';
    ctx.root.append(h('p', { class: 'notice empty', role: 'status', 'data-testid': 'overview-empty' }, text, uploadsLink(ctx), '.'));
    return;
  }

  const select = selectRange(ctx);
  const charts: ChartPanel[] = [trafficPanel(traffic, 'Requests by status class', select), latencyPanel(traffic, 'Latency p95 / p99', select)];
  ctx.root.append(
    tiles(summary),
    h('div', { class: 'grid' }, ...charts.map((c) => c.element)),
    h('div', { class: 'grid' }, topRoutes(ctx, summary.top_endpoints), statusCodes(statusCodesOf(summary.status_codes, summary.total_requests))),
    h('p', { class: 'notice' }, 'Drag across a chart to zoom into that time range.'),
  );
  for (const c of charts) ctx.onLeave(c.draw());
}

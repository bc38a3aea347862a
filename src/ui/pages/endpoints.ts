import type { Endpoints } from '../../api/wireTypes.js';
import { api } from '../api.js';
import { clear, h, notice } from '../dom.js';
import { ANALYTICS_FILTERS, filterBar, filterQuery, isFilterRefusal, type FilterParam } from '../filterBar.js';
import type { PageContext } from '../page.js';
import { resolveRange, sourceNames } from '../range.js';
import { routeDetail } from './endpoints/routeDetail.js';
import { routesTable, sortFrom } from './endpoints/table.js';

/** Routes asked for at first; "Show more" asks for more (the API allows up to 1000). */
const LIMITS = [100, 500, 1000];

function limitFrom(params: URLSearchParams): number {
  const n = Number(params.get('limit'));
  return LIMITS.includes(n) ? n : LIMITS[0]!;
}

/** The analytics filters but `route`: on this page `route` opens one route's charts and lines. */
const FILTERS: readonly FilterParam[] = ANALYTICS_FILTERS.filter((f) => f !== 'route');

const SORT_NAMES = { count: 'requests', error_rate: 'error rate', p95: 'p95 latency', p99: 'p99 latency' } as const;

/**
 * Endpoints: every route of the range ranked by the API (`?sort=`), and with `?route=` that route's
 * own charts and recent error lines, so a view of one route can be shared as a link.
 */
export async function render(ctx: PageContext): Promise<void> {
  ctx.root.append(h('h1', {}, 'Endpoints'), notice('loading', 'Loading…'));
  const range = await resolveRange(ctx.params, ctx.signal);
  const sort = sortFrom(ctx.params);
  const route = ctx.params.get('route') || null;
  const limit = limitFrom(ctx.params);
  const query = filterQuery(ctx.params, range, FILTERS);
  const sources = sourceNames(ctx.signal);
  const listing = api.get<Endpoints>('/analytics/endpoints', { ...query, sort, limit }, ctx.signal);
  // The route's charts and lines need nothing from the list: asked at the same time, not after it.
  const opening = route ? routeDetail(ctx, route, query, listing.then((e) => e.items.find((r) => r.route === route))) : null;
  const endpoints = await listing.catch((err: unknown) => {
    if (isFilterRefusal(err)) return err;
    throw err;
  });
  const detail = opening ? await opening : null;

  clear(ctx.root);
  const bar = filterBar({ params: ctx.params, range, sources: await sources, fields: FILTERS, apply: (p) => ctx.navigate(p) });
  ctx.root.append(h('h1', {}, 'Endpoints'), bar.el);
  if (!('items' in endpoints)) {
    bar.showError(endpoints);
    return;
  }
  if (detail) {
    ctx.root.append(detail.element);
    detail.draw();
    // Opened from a row far down the table: bring the charts into view.
    detail.element.scrollIntoView({ block: 'start' });
  }
  if (endpoints.items.length === 0) {
    const uploads = h('button', { type: 'button', class: 'link', onclick: () => ctx.navigate({}, { page: 'uploads' }) }, 'Uploads page');
    ctx.root.append(h('p', { class: 'notice empty', role: 'status', 'data-testid': 'endpoints-empty' },
      'No requests in this range — choose another range or other filters above, or upload a log on the ', uploads, '.'));
    return;
  }
  const more = LIMITS.find((n) => n > limit);
  const truncated = endpoints.items.length === limit;
  const shown = truncated ? `The first ${limit} routes` : `${endpoints.items.length} routes`;
  ctx.root.append(h('section', { class: 'panel' },
    h('h2', {}, `${shown} by ${SORT_NAMES[sort]}`),
    h('p', { class: 'notice' }, 'Click a column heading to rank by it; click a route for its charts and recent errors.'),
    routesTable(endpoints.items, {
      sort,
      selected: route,
      onSort: (s) => ctx.navigate({ sort: s }),
      onOpen: (r) => ctx.navigate({ route: r }),
    }),
    truncated && more
      ? h('button', { type: 'button', class: 'ep-more', onclick: () => ctx.navigate({ limit: String(more) }, { replace: true }) }, `Show up to ${more} routes`)
      : null));
}

import { h, notice } from '../dom.js';
import { filterBar, filterQuery, FILTER_PARAMS } from '../filterBar.js';
import type { PageContext } from '../page.js';
import { resolveRange, sourceNames } from '../range.js';
import { liveControls, MAX_LIVE_ROWS, startLive } from './logs/live.js';
import { showSearch } from './logs/search.js';
import { logTable } from './logs/table.js';

/**
 * Logs: GET /logs with every filter of the record filter kept in the URL (a link shows the same search),
 * newest first with infinite scroll; `live=1` switches the table to the live tail of the same filters.
 */
export async function render(ctx: PageContext): Promise<void> {
  const [range, sources] = await Promise.all([
    resolveRange(ctx.params, ctx.signal),
    sourceNames(ctx.signal),
  ]);
  const live = ctx.params.get('live') === '1';
  const apply = (p: Record<string, string | null>) => ctx.navigate(p);
  const bar = filterBar({ params: ctx.params, range, sources, fields: FILTER_PARAMS, apply, submitLabel: 'Search' });
  const table = logTable(apply, live ? 'Live log records, newest first' : 'Log records, newest first');

  const liveToggle = h('input', { type: 'checkbox', role: 'switch', checked: live, onchange: () => apply({ live: live ? null : '1' }) });
  const controls = liveControls();
  const toolbar = h('div', { class: 'live-bar' },
    h('label', { class: 'live-toggle' }, liveToggle, ' Live'), live ? controls.pause : null, live ? controls.status : null,
    live ? h('span', { class: 'muted' }, `New records as they are ingested, whatever their time (the range is not applied); the newest ${MAX_LIVE_ROWS} are kept.`) : null);
  const results = h('section', { class: 'log-results', 'aria-label': 'Results' });
  ctx.root.append(h('h1', {}, 'Logs'), bar.el, toolbar, results);

  if (live) {
    const waiting = notice('empty', 'Waiting for new records that match these filters: upload a log on the Uploads page, or send one with the CLI (loginsights ingest).');
    results.append(table.el, waiting);
    // The stream stops with ctx.signal: on leaving the page, on any URL change, and when Live is switched off.
    startLive({ table, query: filterQuery(ctx.params, null, FILTER_PARAMS), signal: ctx.signal, controls, waiting });
    return;
  }
  await showSearch({
    container: results, table, query: filterQuery(ctx.params, range, FILTER_PARAMS), signal: ctx.signal,
    onError: (err) => bar.showError(err), onLeave: (fn) => ctx.onLeave(fn),
  });
}

import { api, type Query } from '../../api.js';
import { fmtInt, h, notice } from '../../dom.js';
import type { LogPage } from '../../../api/wireTypes.js';
import type { LogTable } from './table.js';

const PAGE_SIZE = 100;

/**
 * Search results with infinite scroll: the first page at once, then the next page whenever the
 * sentinel below the table comes into view (or its button is pressed), until `next_cursor` is null.
 */
export async function showSearch(opts: {
  container: HTMLElement; table: LogTable; query: Query; signal: AbortSignal; onError(err: unknown): void; onLeave(fn: () => void): void;
}): Promise<void> {
  const { container, table, query, signal } = opts;
  const first = await api.get<LogPage>('/logs', { ...query, limit: PAGE_SIZE }, signal).catch((err: unknown) => {
    if (!signal.aborted) opts.onError(err);
    return null;
  });
  if (!first) return;
  if (first.items.length === 0) {
    container.append(notice('empty', 'No records match these filters in this range. Widen the time range, clear a filter, or upload a log on the Uploads page.'));
    return;
  }
  table.add(first.items, 'end');
  let cursor = first.next_cursor;
  let loading = false;
  const summary = h('span', { class: 'muted', 'data-testid': 'rows-shown' });
  const more = h('button', { type: 'button', onclick: () => void loadMore() }, 'Load more');
  const sentinel = h('div', { class: 'scroll-sentinel', 'data-testid': 'scroll-sentinel' });
  const footer = () => {
    summary.textContent = `${fmtInt(table.rows())} records shown`;
    if (cursor) sentinel.replaceChildren(summary, ' · ', loading ? 'loading more…' : more);
    else sentinel.replaceChildren(summary, ' · ', h('span', { 'data-testid': 'end-of-results' }, 'end of results'));
  };
  container.append(table.el, sentinel);
  footer();

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) void loadMore();
  }, { rootMargin: '300px' });
  opts.onLeave(() => observer.disconnect());

  async function loadMore(): Promise<void> {
    if (loading || !cursor || signal.aborted) return;
    loading = true;
    footer();
    try {
      const page = await api.get<LogPage>('/logs', { ...query, limit: PAGE_SIZE, cursor }, signal);
      table.add(page.items, 'end');
      cursor = page.next_cursor;
    } catch (err) {
      if (signal.aborted) return;
      opts.onError(err);
      cursor = null;
    } finally {
      loading = false;
    }
    footer();
    if (!cursor) {
      observer.disconnect();
      return;
    }
    // observe() again reports the sentinel's current state: a short page leaves it in view, which
    // would otherwise never count as "coming into view" again.
    observer.unobserve(sentinel);
    observer.observe(sentinel);
  }
  if (cursor) observer.observe(sentinel);
}

/**
 * Sources: every source that sends, per protocol, as GET /sources has it — status (a silent source
 * stands out), last seen, lines/s, lag, rejected and dropped lines, last error — drawn again every
 * 5 s while the page is open. A failed refresh says so above the table and the next one tries again.
 */
import type { SourceStatus, SourceStatusList } from '../../api/wireTypes.js';
import { api, describeError } from '../api.js';
import { fmtBytes, fmtInt, fmtTime, h, notice } from '../dom.js';
import { pageLink, type PageContext } from '../page.js';

const REFRESH_MS = 5_000;

const STATUS_TITLES: Record<SourceStatus['status'], string> = {
  receiving: 'lines are arriving',
  silent: 'it was sending steadily and nothing has arrived for max(5 min, 10 × its usual gap)',
  idle: 'not sending now: it stopped before it was steady, it is an upload, or this process has not heard from it since it started',
};

/** `42 s ago`, `3 min ago`, `2 h ago`, `5 d ago`: how long since, in the browser's clock. */
function ago(iso: string | null): string {
  if (iso === null) return '';
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 120) return `${Math.round(s)} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return s < 172_800 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86_400)} d ago`;
}

function rate(n: number | null): string {
  if (n === null) return '–';
  return n >= 100 ? fmtInt(n) : n.toFixed(n >= 10 ? 1 : 2);
}

function row(ctx: PageContext, s: SourceStatus): HTMLElement {
  return h('tr', { class: `source-${s.status}`, 'data-testid': 'source-row', 'data-source': s.source, 'data-protocol': s.protocol, 'data-status': s.status },
    h('td', {}, pageLink(ctx, 'logs', { source: s.source }, s.source)),
    h('td', {}, s.protocol),
    h('td', {}, h('span', { class: `badge source-${s.status}`, title: STATUS_TITLES[s.status], 'data-testid': 'source-status' }, s.status)),
    h('td', { class: 'nowrap', title: s.last_seen ? `${fmtTime(s.last_seen)} UTC; first seen ${fmtTime(s.first_seen)} UTC` : '' },
      s.last_seen ? ago(s.last_seen) : '–'),
    h('td', { class: 'num', 'data-testid': 'source-rate' }, rate(s.lines_per_sec)),
    h('td', { class: 'num' }, fmtBytes(s.lag_bytes)),
    h('td', { class: 'num', 'data-testid': 'source-processed' }, fmtInt(s.lines_processed)),
    h('td', { class: `num${s.lines_rejected > 0 ? ' source-problem' : ''}` }, fmtInt(s.lines_rejected)),
    h('td', { class: `num${s.lines_dropped > 0 ? ' source-problem' : ''}` }, fmtInt(s.lines_dropped)),
    h('td', { class: 'num' }, fmtInt(s.refusals)),
    h('td', { class: 'source-error' }, s.last_error ? `${fmtTime(s.last_error.at)}: ${s.last_error.message}` : ''));
}

function table(ctx: PageContext, items: SourceStatus[]): HTMLElement {
  if (items.length === 0) {
    return notice('empty', 'No source has sent lines yet: point a shipper at this service (syslog, Elasticsearch _bulk, Loki, OTLP, loginsights ship) or upload a file.');
  }
  const heads = ['Source', 'Protocol', 'Status', 'Last seen', 'Lines/s', 'Lag', 'Lines parsed', 'Rejected', 'Dropped', 'Refusals', 'Last error'];
  const numeric = new Set(['Lines/s', 'Lag', 'Lines parsed', 'Rejected', 'Dropped', 'Refusals']);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'sources-table', 'data-testid': 'sources-table' },
    h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', { class: numeric.has(t) ? 'num' : null }, t)))),
    h('tbody', {}, ...items.map((s) => row(ctx, s)))));
}

function summary(items: SourceStatus[]): string {
  const silent = items.filter((s) => s.status === 'silent').length;
  const receiving = items.filter((s) => s.status === 'receiving').length;
  return `One row per source and protocol: ${receiving} receiving, ${silent} silent. Refreshed every ${REFRESH_MS / 1000} s.`;
}

export async function render(ctx: PageContext): Promise<void> {
  const first = await api.get<SourceStatusList>('/sources', {}, ctx.signal);
  const status = h('p', { class: 'notice', role: 'status', 'data-testid': 'sources-summary' }, summary(first.items));
  const problem = h('p', { class: 'notice error', role: 'alert', hidden: true });
  const section = h('section', { class: 'panel', 'aria-label': 'Sources' }, table(ctx, first.items));
  ctx.root.append(h('h1', {}, 'Sources'), status, problem, section);

  const refresh = async (): Promise<void> => {
    while (!ctx.signal.aborted) {
      await new Promise((r) => setTimeout(r, REFRESH_MS));
      if (ctx.signal.aborted) return;
      try {
        const next = await api.get<SourceStatusList>('/sources', {}, ctx.signal);
        section.replaceChildren(table(ctx, next.items));
        status.textContent = summary(next.items);
        problem.hidden = true;
      } catch (err) {
        if (ctx.signal.aborted) return;
        problem.textContent = `Not refreshed: ${describeError(err)}. Trying again in ${REFRESH_MS / 1000} s.`;
        problem.hidden = false;
      }
    }
  };
  void refresh();
}

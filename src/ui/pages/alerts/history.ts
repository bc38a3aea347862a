/**
 * Alert history in the page's range: one row per firing episode, newest first, with "Load more" on
 * the API's cursor. A row expands to its evidence (the sample lines and top routes, clients and
 * status codes the API stored from the window that fired) and its notifications per channel,
 * fetched when opened.
 */
import { api, describeError } from '../../api.js';
import { fmtInt, fmtTime, h, notice } from '../../dom.js';
import type { DeliveryList, HistoryPage } from '../../../api/wireTypes.js';
import type { HistoryEntry } from './model.js';

const PAGE = 50;
const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(2));

function tops(title: string, items: { value: string; count: number }[]): HTMLElement | null {
  if (!items.length) return null;
  return h('div', {}, h('h3', {}, title), h('ul', { class: 'tops' }, ...items.map((i) => h('li', {}, h('code', {}, i.value), ` ${fmtInt(i.count)}`))));
}

async function deliveries(id: number, signal: AbortSignal): Promise<HTMLElement> {
  try {
    const { items } = await api.get<DeliveryList>(`/alerts/history/${id}/deliveries`, {}, signal);
    if (!items.length) return notice('empty', 'No notifications: the rule has no channels, the episode was silenced, or it was found in old data.');
    return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'deliveries' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Channel'), h('th', {}, 'Event'), h('th', {}, 'Status'), h('th', {}, 'Attempts'))),
      h('tbody', {}, ...items.map((d) => {
        const last = d.attempts[d.attempts.length - 1];
        // The URL comes to admin keys only (it is the credential of Slack and token webhooks); others see the host.
        return h('tr', {}, h('td', {}, `${d.channel.type} `, h('code', {}, d.channel.url ?? d.channel.host)), h('td', {}, d.event),
          h('td', { class: d.status === 'failed' ? 'status-5xx' : '' }, d.status === 'sent' && d.sent_at ? `sent ${fmtTime(d.sent_at)}` : d.status),
          h('td', {}, `${d.attempts.length}${last ? ` (last: ${last.status ?? ''} ${last.error ?? ''})` : ''}`));
      }))));
  } catch (err) {
    return notice('error', `Notifications: ${describeError(err)}`);
  }
}

function evidence(e: HistoryEntry, signal: AbortSignal): HTMLElement {
  const ev = e.evidence;
  const box = h('div', { class: 'evidence', 'data-testid': 'evidence' },
    ev ? h('div', { class: 'evidence-tops' }, tops('Routes', ev.top_routes), tops('Clients', ev.top_clients), tops('Status codes', ev.top_status_codes)) : notice('empty', 'No evidence stored for this episode.'),
    ev?.samples.length ? h('div', {}, h('h3', {}, `Sample lines (${ev.samples.length})`),
      ...ev.samples.map((s) => h('pre', { class: 'raw-line', 'data-testid': 'evidence-sample' }, s.raw_log))) : null);
  const notifications = h('div', {}, h('h3', {}, 'Notifications'), notice('loading', 'Loading…'));
  box.append(notifications);
  void deliveries(e.id, signal).then((el) => notifications.replaceChildren(h('h3', {}, 'Notifications'), el));
  return box;
}

function row(e: HistoryEntry, signal: AbortSignal): HTMLElement[] {
  const detail = h('tr', { class: 'detail', hidden: true }, h('td', { colspan: 7 }));
  const toggle = h('button', { type: 'button', 'aria-expanded': 'false', 'aria-label': `Evidence of ${e.rule_name} at ${fmtTime(e.fired_at)}` }, 'Evidence');
  toggle.addEventListener('click', () => {
    const open = detail.hidden;
    detail.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open && !detail.firstElementChild!.hasChildNodes()) detail.firstElementChild!.append(evidence(e, signal));
  });
  const main = h('tr', { 'data-testid': 'history-row', 'data-history-id': e.id },
    h('td', {}, e.rule_name, e.silenced ? h('span', { class: 'badge', title: 'found while silenced: not notified' }, ' silenced') : null),
    h('td', {}, h('span', { class: `badge ${e.state}` }, e.state), ' ', h('span', { class: `severity ${e.severity}` }, e.severity)),
    h('td', {}, fmtTime(e.window_start)),
    h('td', {}, fmtTime(e.fired_at)),
    h('td', {}, e.resolved_at ? fmtTime(e.resolved_at) : '–'),
    h('td', { class: 'num' }, `${num(e.value)} (peak ${num(e.peak)})${e.threshold === null ? '' : ` / ${num(e.threshold)}`}`),
    h('td', {}, toggle));
  return [main, detail];
}

export function historySection(query: { start_date?: string; end_date?: string }, signal: AbortSignal): HTMLElement {
  const body = h('tbody');
  const status = h('div');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const table = h('div', { class: 'table-wrap', hidden: true }, h('table', { 'data-testid': 'history-table' },
    h('thead', {}, h('tr', {}, ...['Rule', 'State', 'Window start', 'Fired', 'Resolved', 'Value / threshold', ''].map((t) => h('th', {}, t)))), body));
  let cursor: string | null = null;

  async function load(): Promise<void> {
    more.disabled = true;
    status.replaceChildren(notice('loading', 'Loading history…'));
    try {
      const page = await api.get<HistoryPage>('/alerts/history', { ...query, limit: PAGE, cursor }, signal);
      for (const e of page.items) body.append(...row(e, signal));
      cursor = page.next_cursor;
      more.hidden = cursor === null;
      table.hidden = body.children.length === 0;
      status.replaceChildren(body.children.length === 0 ? notice('empty', 'No alert fired in this range. Rules are evaluated as data arrives, including uploaded logs; widen the range to see older episodes.') : '');
    } catch (err) {
      if (!signal.aborted) status.replaceChildren(notice('error', describeError(err)));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => void load());
  void load();
  return h('section', { class: 'panel', 'aria-label': 'History', 'data-testid': 'history', 'data-start': query.start_date, 'data-end': query.end_date }, h('h2', {}, 'History'), status, table, more);
}

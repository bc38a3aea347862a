import type { LogItem as LogRecord } from '../../../api/wireTypes.js';
import { fmtBytes, fmtInt, fmtMs, fmtTime, h } from '../../dom.js';

/** One GET /logs item (also one `record` event of /logs/tail): the API's own type. */
export type { LogRecord };

export type AddFilter = (p: Record<string, string>) => void;

const COLUMNS = ['Time (UTC)', 'Level', 'Status', 'Method', 'Endpoint', 'Latency', 'Client', 'Source', 'Message'];

/** A value that narrows the search to itself when clicked; the click does not also expand the row. */
function filterValue(text: string, param: string, value: string, addFilter: AddFilter, cls = ''): HTMLElement {
  const b = h('button', { type: 'button', class: `filter-value ${cls}`, title: `Show only ${param} = ${value}`, 'data-filter': param }, text);
  b.addEventListener('click', (ev) => {
    ev.stopPropagation();
    addFilter({ [param]: value });
  });
  return b;
}

function statusClass(s: number | null): string {
  return s === null ? '' : `status-${Math.floor(s / 100)}xx`;
}

function row(r: LogRecord, addFilter: AddFilter): HTMLTableRowElement {
  const tr = h('tr', { class: `log-row clickable level-row-${r.log_level}`, tabindex: 0, 'aria-expanded': 'false', 'data-id': r.id },
    h('td', { class: 'mono nowrap' }, fmtTime(r.timestamp)),
    h('td', {}, filterValue(r.log_level, 'level', r.log_level, addFilter, `level-${r.log_level}`)),
    h('td', { class: 'num', 'data-col': 'status' }, r.status_code === null ? '–'
      : filterValue(String(r.status_code), 'status_code', String(r.status_code), addFilter, statusClass(r.status_code))),
    h('td', {}, r.method ? filterValue(r.method, 'method', r.method, addFilter) : ''),
    h('td', { class: 'endpoint', title: r.endpoint ?? '' }, r.endpoint ? filterValue(r.endpoint, 'endpoint', r.endpoint, addFilter) : ''),
    h('td', { class: 'num' }, r.latency_ms === null ? '' : fmtMs(r.latency_ms)),
    h('td', { class: 'mono' }, r.client_ip ?? ''),
    h('td', {}, filterValue(r.source, 'source', r.source, addFilter)),
    h('td', { class: 'message', title: r.message }, r.message));
  const toggle = () => {
    const next = tr.nextElementSibling;
    if (next?.classList.contains('log-detail')) {
      next.remove();
      tr.setAttribute('aria-expanded', 'false');
    } else {
      tr.after(detail(r));
      tr.setAttribute('aria-expanded', 'true');
    }
  };
  tr.addEventListener('click', toggle);
  tr.addEventListener('keydown', (ev) => {
    if (ev.target === tr && (ev.key === 'Enter' || ev.key === ' ')) {
      ev.preventDefault();
      toggle();
    }
  });
  return tr;
}

/** The expanded row: the raw line as the file had it, then every field. */
function detail(r: LogRecord): HTMLTableRowElement {
  const fields: [string, string][] = [
    ['timestamp', r.timestamp], ['level', r.log_level], ['status', r.status_code === null ? '–' : String(r.status_code)],
    ['method', r.method ?? '–'], ['endpoint', r.endpoint ?? '–'], ['protocol', r.protocol ?? '–'],
    ['latency', fmtMs(r.latency_ms)], ['bytes sent', r.bytes_sent === null ? '–' : `${fmtInt(r.bytes_sent)} (${fmtBytes(r.bytes_sent)})`],
    ['client', r.client_ip ?? '–'], ['host', r.host ?? '–'], ['referer', r.referer ?? '–'], ['user agent', r.user_agent ?? '–'],
    ['source', r.source], ['message', r.message], ['job', r.job_id],
    ['line', r.line_count > 1 ? `${r.line_no}–${r.line_no + r.line_count - 1}` : String(r.line_no)],
  ];
  return h('tr', { class: 'log-detail' }, h('td', { colspan: COLUMNS.length },
    h('pre', { class: 'raw-line', 'data-testid': 'raw-line' }, r.raw_log),
    h('dl', { class: 'fields' }, ...fields.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))));
}

export interface LogTable {
  el: HTMLElement;
  /** Adds records at the end (search pages, oldest last) or at the top (live, newest first); skips ids already shown. */
  add(records: LogRecord[], where: 'end' | 'top'): number;
  /** A row across the table that is not a record: dropped records, a reconnect. */
  marker(text: string): void;
  /** Removes the oldest rows at the bottom until at most `max` records remain. */
  trim(max: number): void;
  rows(): number;
}

export function logTable(addFilter: AddFilter, caption: string): LogTable {
  const tbody = h('tbody');
  const seen = new Set<number>();
  let count = 0;
  const el = h('div', { class: 'table-wrap logs-wrap' },
    h('table', { class: 'logs-table', 'data-testid': 'logs-table' }, h('caption', { class: 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, ...COLUMNS.map((c, i) => h('th', { class: i === 2 || i === 5 ? 'num' : null, scope: 'col' }, c)))),
      tbody));
  return {
    el,
    add(records, where) {
      const fresh = records.filter((r) => !seen.has(r.id));
      for (const r of fresh) seen.add(r.id);
      const rows = fresh.map((r) => row(r, addFilter));
      if (where === 'end') tbody.append(...rows);
      else tbody.prepend(...rows);
      count += rows.length;
      return rows.length;
    },
    marker(text) {
      tbody.prepend(h('tr', { class: 'marker', 'data-testid': 'marker-row' }, h('td', { colspan: COLUMNS.length }, text)));
    },
    trim(max) {
      const rows = tbody.querySelectorAll<HTMLTableRowElement>('tr.log-row');
      for (let i = rows.length - 1; i >= max; i--) {
        const tr = rows[i]!;
        if (tr.nextElementSibling?.classList.contains('log-detail')) tr.nextElementSibling.remove();
        seen.delete(Number(tr.dataset.id));
        tr.remove();
        count--;
      }
      // Markers below the oldest kept record describe records no longer shown.
      let last = tbody.lastElementChild;
      while (last?.classList.contains('marker')) { last.remove(); last = tbody.lastElementChild; }
    },
    rows: () => count,
  };
}

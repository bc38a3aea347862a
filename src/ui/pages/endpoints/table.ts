import type { EndpointRow } from '../../../api/wireTypes.js';
import { fmtBytes, fmtInt, fmtMs, fmtPct, h } from '../../dom.js';

export type { EndpointRow };

/** The orders GET /analytics/endpoints can rank by that this table offers; the URL keeps the API's name. */
export const SORTS = ['count', 'error_rate', 'p95', 'p99'] as const;
export type Sort = (typeof SORTS)[number];

export function sortFrom(params: URLSearchParams): Sort {
  const s = params.get('sort');
  return (SORTS as readonly string[]).includes(s ?? '') ? (s as Sort) : 'count';
}

interface Column {
  label: string;
  cell: (r: EndpointRow) => string;
  sort?: Sort;
  numeric?: boolean;
}

const COLUMNS: Column[] = [
  { label: 'Route', cell: (r) => r.route },
  { label: 'Requests', cell: (r) => fmtInt(r.count), sort: 'count', numeric: true },
  { label: 'Errors', cell: (r) => fmtInt(r.errors), numeric: true },
  { label: 'Error rate', cell: (r) => fmtPct(r.error_rate_pct), sort: 'error_rate', numeric: true },
  { label: 'p50', cell: (r) => fmtMs(r.p50_ms), numeric: true },
  { label: 'p95', cell: (r) => fmtMs(r.p95_ms), sort: 'p95', numeric: true },
  { label: 'p99', cell: (r) => fmtMs(r.p99_ms), sort: 'p99', numeric: true },
  { label: 'Max', cell: (r) => fmtMs(r.max_ms), numeric: true },
  { label: 'Bytes', cell: (r) => fmtBytes(r.bytes), numeric: true },
];

/**
 * The routes table, ranked by the API (`sort`): a sortable header is a button that asks for another
 * ranking; a row (or its route, for keyboards) opens that route's charts and error lines.
 */
export function routesTable(rows: EndpointRow[], o: { sort: Sort; selected: string | null; onSort: (s: Sort) => void; onOpen: (route: string) => void }): HTMLElement {
  const head = h('tr', {}, ...COLUMNS.map((c) => {
    const cls = c.numeric ? 'num' : null;
    if (!c.sort) return h('th', { class: cls, scope: 'col' }, c.label);
    const active = c.sort === o.sort;
    const sort = c.sort;
    return h('th', { class: `${cls ?? ''} sortable${active ? ' sorted' : ''}`, scope: 'col', 'aria-sort': active ? 'descending' : null },
      h('button', { type: 'button', class: 'link', 'data-sort': sort, title: `Rank by ${c.label}, highest first`, onclick: () => o.onSort(sort) },
        c.label, active ? h('span', { 'aria-hidden': 'true' }, ' ▼') : null));
  }));
  const body = rows.map((r) => {
    const open = h('button', { type: 'button', class: 'link mono', onclick: (ev: Event) => { ev.stopPropagation(); o.onOpen(r.route); } }, r.route);
    const tr = h('tr', { class: `clickable${r.route === o.selected ? ' selected' : ''}`, 'data-route': r.route, onclick: () => o.onOpen(r.route) },
      h('td', { class: 'ep-route' }, open),
      ...COLUMNS.slice(1).map((c) => h('td', { class: `num${c.label.startsWith('Error') && r.errors > 0 ? ' status-5xx' : ''}` }, c.cell(r))));
    return tr;
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'ep-table', 'data-testid': 'routes-table' }, h('thead', {}, head), h('tbody', {}, ...body)));
}

import { STATUS_COLORS } from '../../charts.js';
import { fmtInt, fmtPct, h, notice } from '../../dom.js';
import { pageLink, type PageContext } from '../../page.js';

export interface StatusCodes {
  total: number;
  items: { status_code: number; count: number; pct: number }[];
}

/**
 * The status-codes panel's rows from the summary's own counts, ordered and rounded as
 * GET /analytics/status-codes answers them: one query less for the page (on PGlite, queries queue).
 */
export function statusCodesOf(codes: Record<string, number>, total: number): StatusCodes {
  const items = Object.entries(codes)
    .map(([code, count]) => ({ status_code: Number(code), count, pct: total > 0 ? Math.round((count / total) * 10_000) / 100 : 0 }))
    .sort((a, b) => b.count - a.count || a.status_code - b.status_code);
  return { total, items };
}

/** A horizontal bar inside a cell: lengths compare at a glance where numbers need reading. */
function bar(share: number, color: string): HTMLElement {
  // Set through the CSSOM: the CSP (style-src 'self') refuses inline style attributes.
  const el = h('span', { class: 'ov-bar' });
  el.style.width = `${Math.max(1, Math.round(share * 100))}%`;
  el.style.background = color;
  return el;
}

/** The busiest routes with their share of traffic and error rate; each opens on the Endpoints page. */
export function topRoutes(ctx: PageContext, rows: { route: string; count: number; error_rate_pct: number }[]): HTMLElement {
  const max = Math.max(1, ...rows.map((r) => r.count));
  const body = rows.length === 0
    ? notice('empty', 'No requests with a route in this range.')
    : h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'top-routes' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Route'), h('th', { class: 'num' }, 'Requests'), h('th', { class: 'num' }, 'Error rate'))),
      h('tbody', {}, ...rows.map((r) => h('tr', { 'data-route': r.route },
        h('td', { class: 'ov-route' }, pageLink(ctx, 'endpoints', { route: r.route }, r.route, 'mono'), bar(r.count / max, '#9db7e6')),
        h('td', { class: 'num' }, fmtInt(r.count)),
        h('td', { class: `num${r.error_rate_pct > 0 ? ' status-5xx' : ''}` }, fmtPct(r.error_rate_pct)))))));
  return h('section', { class: 'panel' }, h('h2', {}, 'Top routes'), body);
}

/** Requests per status code, coloured by class, with their share. */
export function statusCodes(s: StatusCodes): HTMLElement {
  const max = Math.max(1, ...s.items.map((r) => r.count));
  const body = s.items.length === 0
    ? notice('empty', 'No responses in this range.')
    : h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'status-codes' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Status'), h('th', { class: 'num' }, 'Requests'), h('th', { class: 'num' }, 'Share'), h('th', {}, ''))),
      h('tbody', {}, ...s.items.map((r) => {
        const cls = `${Math.floor(r.status_code / 100)}xx`;
        return h('tr', { 'data-status': r.status_code },
          h('td', { class: `status-${cls}` }, String(r.status_code)),
          h('td', { class: 'num' }, fmtInt(r.count)),
          h('td', { class: 'num' }, fmtPct(r.pct)),
          h('td', { class: 'ov-bar-cell' }, bar(r.count / max, STATUS_COLORS[cls] ?? STATUS_COLORS.other!)));
      }))));
  return h('section', { class: 'panel' }, h('h2', {}, `Status codes (${fmtInt(s.total)} responses)`), body);
}

import type { RejectedLinePage, RejectionGroup } from '../../../api/wireTypes.js';
import { api, describeError } from '../../api.js';
import { fmtInt, h, notice } from '../../dom.js';

const PAGE_LINES = 50;
const RAW_SHOWN = 240;

const linesText = (n: number): string => `${fmtInt(n)} ${n === 1 ? 'line' : 'lines'}`;

function lineRow(r: RejectedLinePage['items'][number]): HTMLElement {
  return h('tr', { 'data-line': r.line_no },
    h('td', { class: 'num' }, fmtInt(r.line_no)),
    // Lines rejected before reason codes have no detail: their reason (the group's title) holds the value.
    h('td', { class: 'mono' }, r.detail ?? r.reason),
    h('td', { class: 'mono raw', title: r.raw_log }, r.raw_log.length > RAW_SHOWN ? `${r.raw_log.slice(0, RAW_SHOWN)}…` : r.raw_log));
}

/**
 * One group: "300 lines — no timestamp where the format expects one", opening onto its lines (line
 * number, detail, raw text) a page at a time from GET /ingest/jobs/{id}/rejected?code=…. A group of
 * lines rejected before codes (code null) cannot be filtered: it shows its first line.
 */
function groupEl(jobId: string, g: RejectionGroup, signal: AbortSignal): HTMLElement {
  const body = h('tbody');
  const el = h('details', { class: 'rejection-group', 'data-testid': 'rejection-group', 'data-code': g.code ?? '' },
    h('summary', {},
      h('strong', { 'data-testid': 'rejection-group-lines' }, linesText(g.lines)), ' — ',
      h('span', { 'data-testid': 'rejection-group-reason' }, g.reason),
      g.code === null ? null : h('span', { class: 'muted mono' }, ` ${g.code}`)),
    h('div', { class: 'table-wrap' }, h('table', { class: 'rejected-table' },
      h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Line'), h('th', {}, 'Detail'), h('th', {}, 'Raw text'))), body)));
  const load = async (after: number): Promise<void> => {
    try {
      const query = g.code === null ? { after_line: g.first_line_no - 1, limit: 1 } : { code: g.code, after_line: after, limit: PAGE_LINES };
      const page = await api.get<RejectedLinePage>(`/ingest/jobs/${jobId}/rejected`, query, signal);
      body.append(...page.items.map(lineRow));
      if (g.code !== null && page.next_after_line !== null) {
        const next = page.next_after_line;
        const more = h('button', { type: 'button', onclick: () => { more.remove(); void load(next); } }, 'More lines of this reason');
        el.append(more);
      }
    } catch (err) {
      if (!signal.aborted) el.append(notice('error', `Could not list these lines: ${describeError(err)}`));
    }
  };
  let loaded = false;
  el.addEventListener('toggle', () => {
    if (!el.open || loaded) return;
    loaded = true;
    void load(0);
  });
  return el;
}

/** A job's rejected lines grouped by reason (GET /ingest/jobs/{id}/rejected/summary), most lines first, appended to `into`. */
export async function appendRejectionGroups(into: HTMLElement, jobId: string, signal: AbortSignal): Promise<void> {
  try {
    const { groups } = await api.get<{ groups: RejectionGroup[] }>(`/ingest/jobs/${jobId}/rejected/summary`, {}, signal);
    const list = h('ul', { class: 'rejection-groups' }, ...groups.map((g) => h('li', {}, groupEl(jobId, g, signal))));
    into.append(list);
    // One reason only: its lines are what there is to see.
    const only = groups.length === 1 ? list.querySelector('details') : null;
    if (only) only.open = true;
  } catch (err) {
    if (!signal.aborted) into.append(notice('error', `Could not list the rejected lines: ${describeError(err)}`));
  }
}

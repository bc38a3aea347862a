import { ApiError, describeError, type Query } from '../../api.js';
import { h } from '../../dom.js';
import { rangeQuery, type ViewRange } from '../../range.js';

/** The GET /logs filters the Logs page keeps in its URL, under the API's own names (a link reads like the API call). */
export const FILTER_KEYS = ['level', 'status_code', 'endpoint', 'q'] as const;
export const LEVELS = ['INFO', 'WARN', 'ERROR'] as const;

/** The filters of the URL as a GET /logs (or /logs/tail) query; the tail leaves the range out, see live.ts. */
export function logQuery(params: URLSearchParams, range: ViewRange | null): Query {
  const q: Query = range ? { ...rangeQuery(range) } : { source: params.get('source') ?? undefined };
  for (const k of FILTER_KEYS) q[k] = params.get(k) ?? undefined;
  return q;
}

export interface FilterForm {
  el: HTMLElement;
  /** Shows a failed search next to the form: a 400 names the parameter, which is marked on its input. */
  showError(err: unknown): void;
}

const LABELS: Record<string, string> = {
  status_code: 'Status', endpoint: 'Endpoint', q: 'Text', level: 'Level', source: 'Source', start_date: 'From', end_date: 'To',
};

export function filterForm(params: URLSearchParams, apply: (p: Record<string, string | null>) => void): FilterForm {
  const chosen = new Set((params.get('level') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean));
  // No level filter is every level: all boxes ticked says so.
  const levelBoxes = LEVELS.map((lv) => h('input', { type: 'checkbox', name: 'level', value: lv, checked: chosen.size === 0 || chosen.has(lv) }));
  const levels = h('fieldset', { class: 'levels', 'data-param': 'level' }, h('legend', {}, 'Level'),
    ...levelBoxes.map((box, i) => h('label', { class: `level-${LEVELS[i]}` }, box, ` ${LEVELS[i]}`)));
  const text = (name: string, label: string, placeholder: string, size: number) =>
    h('label', { class: 'field', 'data-param': name }, h('span', {}, label),
      h('input', { type: 'search', name, value: params.get(name) ?? '', placeholder, size, autocomplete: 'off' }));
  const status = text('status_code', 'Status', '500, 5xx, 400-499', 12);
  const endpoint = text('endpoint', 'Endpoint', '/api/* or /exact/path', 18);
  const q = text('q', 'Text', 'substring of the line', 20);
  const error = h('p', { class: 'notice error filter-error', role: 'alert', 'data-testid': 'filter-error', hidden: true });
  const clearButton = h('button', { type: 'button', onclick: () => apply(Object.fromEntries(FILTER_KEYS.map((k) => [k, null]))) }, 'Clear filters');
  const form = h('form', { class: 'log-filters', role: 'search', 'aria-label': 'Log filters' },
    levels, status, endpoint, q, h('button', { type: 'submit', class: 'primary' }, 'Search'), clearButton, error);
  const input = (label: HTMLElement) => label.querySelector('input')!;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const lv = levelBoxes.filter((b) => b.checked).map((b) => b.value);
    apply({
      // All three levels is no filter at all: keep the URL short.
      level: lv.length === 0 || lv.length === LEVELS.length ? null : lv.join(','),
      status_code: input(status).value.trim() || null,
      endpoint: input(endpoint).value.trim() || null,
      q: input(q).value || null,
    });
  });

  return {
    el: form,
    showError(err) {
      error.hidden = false;
      if (err instanceof ApiError && err.status === 400 && err.problem.invalid_params?.length) {
        error.textContent = err.problem.invalid_params
          .map((p) => `${LABELS[p.name] ?? p.name} (${p.name}): ${p.reason}`).join('; ');
        for (const p of err.problem.invalid_params) {
          const field = form.querySelector<HTMLElement>(`[data-param="${p.name}"]`);
          field?.classList.add('invalid');
          field?.querySelector('input')?.setAttribute('aria-invalid', 'true');
        }
      } else {
        error.textContent = `The search failed: ${describeError(err)}`;
      }
    },
  };
}

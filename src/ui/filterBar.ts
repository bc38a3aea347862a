/**
 * The dashboard's one filter bar: the time range and the record filter's fields, written to the URL
 * under the API's own parameter names (src/api/schemas.ts recordFilterQuery), so a link reads like the
 * API call and every page asks the same question the same way. Each page offers the fields its
 * endpoints answer.
 */
import type { RecordFilterQuery } from '../api/schemas.js';
import { ApiError, describeError, type Query } from './api.js';
import { h } from './dom.js';
import { rangePicker, type ViewRange } from './range.js';

export const FILTER_PARAMS = ['source', 'status_code', 'level', 'route', 'method', 'endpoint', 'q'] as const satisfies readonly (keyof RecordFilterQuery)[];
export type FilterParam = (typeof FILTER_PARAMS)[number];
/** Every parameter of the API's record filter but the range (which the range picker writes) is here: else tsc fails. */
const _everyParam: [Exclude<keyof RecordFilterQuery, FilterParam | 'start_date' | 'end_date'>] extends [never] ? true : never = true;

/** What the analytics endpoints answer from their rollups; `endpoint` and `q` need the raw lines (the Logs page). */
export const ANALYTICS_FILTERS: readonly FilterParam[] = ['source', 'status_code', 'level', 'route', 'method'];

export const LEVELS = ['INFO', 'WARN', 'ERROR'] as const;

/** Each text field: its label and an example of what it takes. */
const TEXT_FIELDS: Record<Exclude<FilterParam, 'level'>, { label: string; placeholder: string; size: number }> = {
  source: { label: 'Source', placeholder: 'all sources', size: 14 },
  status_code: { label: 'Status', placeholder: '500, 5xx, 400-499', size: 12 },
  route: { label: 'Route', placeholder: '/api/users/{id}', size: 18 },
  method: { label: 'Method', placeholder: 'GET, POST', size: 9 },
  endpoint: { label: 'Endpoint', placeholder: '/api/* or /exact/path', size: 18 },
  q: { label: 'Text', placeholder: 'substring of the line', size: 20 },
};

const LABELS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(TEXT_FIELDS).map(([k, f]) => [k, f.label])), level: 'Level', start_date: 'From', end_date: 'To',
};

/** The API query of the URL's range and filters: the fields a page offers, nothing else. */
export function filterQuery(params: URLSearchParams, range: ViewRange | null, fields: readonly FilterParam[]): Query {
  const q: Query = range ? { start_date: range.from ?? undefined, end_date: range.to ?? undefined } : {};
  for (const k of fields) q[k] = params.get(k) || undefined;
  return q;
}

/** A refusal of the filters (400 naming parameters): shown on the bar, not as the page's failure. */
export function isFilterRefusal(err: unknown): err is ApiError {
  return err instanceof ApiError && err.status === 400 && (err.problem.invalid_params?.length ?? 0) > 0;
}

export interface FilterBar {
  el: HTMLElement;
  /** Shows a failed call next to the fields: a 400 names the parameters, which are marked on their inputs. */
  showError(err: unknown): void;
}

export interface FilterBarOptions {
  params: URLSearchParams;
  range: ViewRange;
  /** Source names, offered as the source field's suggestions. */
  sources: string[];
  fields: readonly FilterParam[];
  /** Writes parameters to the URL (null removes one). */
  apply: (p: Record<string, string | null>) => void;
  submitLabel?: string;
}

function levelBoxes(params: URLSearchParams): { el: HTMLElement; value: () => string | null } {
  const chosen = new Set((params.get('level') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean));
  // No level filter is every level: all boxes ticked says so.
  const boxes = LEVELS.map((lv) => h('input', { type: 'checkbox', name: 'level', value: lv, checked: chosen.size === 0 || chosen.has(lv) }));
  const el = h('fieldset', { class: 'levels', 'data-param': 'level' }, h('legend', {}, 'Level'),
    ...boxes.map((box, i) => h('label', { class: `level-${LEVELS[i]}` }, box, ` ${LEVELS[i]}`)));
  return {
    el,
    value: () => {
      const lv = boxes.filter((b) => b.checked).map((b) => b.value);
      // All three levels is no filter at all: keep the URL short.
      return lv.length === 0 || lv.length === LEVELS.length ? null : lv.join(',');
    },
  };
}

function textField(name: Exclude<FilterParam, 'level'>, value: string, list?: string): { el: HTMLElement; input: HTMLInputElement } {
  const spec = TEXT_FIELDS[name];
  const input = h('input', {
    type: 'search', name, value, placeholder: spec.placeholder, size: spec.size, autocomplete: 'off', list,
    'data-testid': name === 'source' ? 'source-filter' : null,
  });
  return { el: h('label', { class: 'field', 'data-param': name }, h('span', {}, spec.label), input), input };
}

export function filterBar(o: FilterBarOptions): FilterBar {
  const readers: [FilterParam, () => string | null][] = [];
  const parts: HTMLElement[] = [];
  let suggestions: HTMLElement | null = null;
  for (const name of o.fields) {
    if (name === 'level') {
      const levels = levelBoxes(o.params);
      parts.push(levels.el);
      readers.push([name, levels.value]);
      continue;
    }
    if (name === 'source') suggestions = h('datalist', { id: 'source-names' }, ...o.sources.map((s) => h('option', { value: s })));
    const field = textField(name, o.params.get(name) ?? '', name === 'source' ? 'source-names' : undefined);
    parts.push(field.el);
    // Free text is searched as typed; the other fields are names and codes, spaces around them are noise.
    readers.push([name, () => (name === 'q' ? field.input.value : field.input.value.trim()) || null]);
  }
  const error = h('p', { class: 'notice error filter-error', role: 'alert', 'data-testid': 'filter-error', hidden: true });
  const clear = h('button', { type: 'button', onclick: () => o.apply(Object.fromEntries(o.fields.map((k) => [k, null]))) }, 'Clear filters');
  const form = h('form', { class: 'filter-form', role: 'search', 'aria-label': 'Filters' },
    ...parts, suggestions, h('button', { type: 'submit', class: 'primary' }, o.submitLabel ?? 'Apply'), clear, error);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    o.apply(Object.fromEntries(readers.map(([k, read]) => [k, read()])));
  });

  return {
    el: h('div', { class: 'filter-bar' }, rangePicker(o.range, o.apply), form),
    showError(err) {
      error.hidden = false;
      if (isFilterRefusal(err)) {
        const named = err.problem.invalid_params ?? [];
        error.textContent = named.map((p) => `${LABELS[p.name] ?? p.name} (${p.name}): ${p.reason}`).join('; ');
        for (const p of named) {
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

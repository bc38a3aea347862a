/**
 * The rule editor's fields: built for one rule, shown or hidden by kind, read back into a rule body,
 * and each able to show a message next to itself. Validation logic lives in ruleEditor.ts; this
 * module only knows where each field is and what it holds.
 */
import { h } from '../../dom.js';
import {
  CHANNEL_TYPES, FILTER_KEYS, KINDS, NEW_VALUE_FIELDS, PERCENTILES, SEVERITIES, durationMs, filterText, uses,
  type Channel, type FilterKey, type Kind, type RuleBody, type RuleFilter, type StoredRule,
} from './model.js';

type Input = HTMLInputElement | HTMLSelectElement;

interface Field { row: HTMLElement; input: Input; error: HTMLElement }

export interface RuleForm {
  el: HTMLElement;
  /** The rule as the form holds it, and the mistakes that need no server to see. */
  read(): { body: RuleBody; errors: Map<string, string> };
  /** Shows each message next to its field (API names: `window`, `filter.status_code`, `notify.0.url`); returns those that have no field. */
  showErrors(errors: Map<string, string>): string[];
  onChange(fn: () => void): void;
}

const FILTER_LABELS: Record<FilterKey, [string, string]> = {
  status_code: ['Status code', '500, 5xx, 400-499 or a list'],
  level: ['Log level', 'INFO, WARN, ERROR'],
  route: ['Route', '/api/users/{id}'],
  method: ['Method', 'GET, POST or a list'],
  endpoint: ['Endpoint', '/exact/path or /prefix*'],
  source: ['Sources', 'one or a comma list'],
  q: ['Line contains', 'text in the raw line'],
};

let uid = 0;

function field(name: string, label: string, input: Input, hint = ''): Field {
  const error = h('span', { class: 'field-error', id: `alert-err-${++uid}`, 'aria-live': 'polite' });
  input.setAttribute('aria-describedby', error.id);
  input.name = name;
  const row = h('div', { class: 'field', 'data-field': name }, h('label', {}, h('span', { class: 'field-label' }, label), input), hint ? h('small', { class: 'hint' }, hint) : null, error);
  return { row, input, error };
}

function select(values: readonly string[], current: string, labels: Record<string, string> = {}): HTMLSelectElement {
  const el = h('select', {}, ...values.map((v) => h('option', { value: v }, labels[v] ?? (v || '(default)'))));
  el.value = current;
  return el;
}

const text = (value: string | number | undefined, attrs: Record<string, string> = {}): HTMLInputElement =>
  h('input', { type: 'text', value: value === undefined ? '' : String(value), autocomplete: 'off', ...attrs });
const num = (value: number | undefined, attrs: Record<string, string> = {}): HTMLInputElement =>
  h('input', { type: 'number', step: 'any', inputmode: 'decimal', value: value === undefined ? '' : String(value), ...attrs });

const OPERATOR_CHOICES: Record<Kind, string[]> = {
  count: ['>', '>=', '<', '<='], ratio: ['>', '>=', '<', '<='], latency: ['>', '>=', '<', '<='],
  absence: ['<'], anomaly: ['>', '<'], new_value: [],
};
const OPERATOR_WORDS: Record<string, string> = { '>': '> above', '>=': '≥ at or above', '<': '< below', '<=': '≤ at or below' };

export function ruleForm(rule: StoredRule | null): RuleForm {
  const listeners: (() => void)[] = [];
  const changed = (): void => { for (const fn of listeners) fn(); };
  const fields = new Map<string, Field>();
  const add = (f: Field): Field => { fields.set(f.input.name, f); return f; };

  const kind = add(field('kind', 'Kind', select(KINDS, rule?.kind ?? 'count', {
    count: 'count of records', ratio: 'ratio (% of requests)', latency: 'latency percentile', absence: 'absence (too few records)',
    anomaly: 'anomaly (unusual count)', new_value: 'new value (first seen)',
  })));
  const name = add(field('name', 'Name', text(rule?.name, { required: 'true', maxlength: '200', placeholder: 'Too many 5xx' })));
  const operator = add(field('operator', 'Operator', select([], '')));
  const threshold = add(field('threshold', 'Threshold', num(rule?.threshold)));
  const recover = add(field('recover_threshold', 'Recover threshold', num(rule?.recover_threshold), 'optional: resolve only once back past this'));
  const percentile = add(field('percentile', 'Percentile', select(PERCENTILES, rule?.percentile ?? 'p95')));
  const minRequests = add(field('min_requests', 'Minimum requests', num(rule?.min_requests, { placeholder: '20', step: '1', min: '0' }), 'no alert below this many requests'));
  const sensitivity = add(field('sensitivity', 'Sensitivity (σ)', num(rule?.sensitivity, { placeholder: '3' })));
  const minHistory = add(field('min_history', 'Baseline windows needed', num(rule?.min_history, { placeholder: '12', step: '1', min: '3', max: '30' })));
  const valueField = add(field('field', 'Field', select(NEW_VALUE_FIELDS, rule?.field ?? 'route')));
  const window = add(field('window', 'Window', text(rule?.window ?? '5m', { placeholder: '5m' }), '1m to 7d'));
  const forField = add(field('for', 'For', text(rule?.for ?? '0m', { placeholder: '0m' }), 'how long before it fires'));
  const severity = add(field('severity', 'Severity', select(SEVERITIES, rule?.severity ?? 'warning')));
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: rule?.enabled ?? true });
  const historical = h('input', { type: 'checkbox', name: 'notify_historical', checked: rule?.notify_historical ?? false });
  const storedFilter: RuleFilter | undefined = rule?.filter;
  const filterFields = FILTER_KEYS.map((k) => add(field(`filter.${k}`, FILTER_LABELS[k][0], text(filterText(storedFilter?.[k]), { placeholder: FILTER_LABELS[k][1] }))));

  // Labels and channels: rows added and removed; each row's inputs are fields named as the API names them.
  const labelRows = h('div', { class: 'rows' });
  const channelRows = h('div', { class: 'rows' });
  const labelsBox = add({ row: h('div', { class: 'field', 'data-field': 'labels' }), input: h('input', { type: 'hidden', name: 'labels' }), error: h('span', { class: 'field-error', 'aria-live': 'polite' }) });
  const notifyBox = add({ row: h('div', { class: 'field', 'data-field': 'notify' }), input: h('input', { type: 'hidden', name: 'notify' }), error: h('span', { class: 'field-error', 'aria-live': 'polite' }) });
  const addLabel = (k = '', v = ''): void => {
    const key = text(k, { placeholder: 'team', 'aria-label': 'Label name' });
    const value = text(v, { placeholder: 'edge', 'aria-label': 'Label value' });
    const row = h('div', { class: 'row' }, key, ' = ', value,
      h('button', { type: 'button', 'aria-label': 'Remove label', onclick: () => { row.remove(); changed(); } }, '×'));
    labelRows.append(row);
  };
  const addChannel = (c: Channel = { type: 'webhook', url: '' }): void => {
    const type = select(CHANNEL_TYPES, c.type);
    type.setAttribute('aria-label', 'Channel type');
    const url = h('input', { type: 'url', value: c.url, placeholder: 'https://…', 'aria-label': 'Channel URL', class: 'grow' });
    const error = h('span', { class: 'field-error', 'aria-live': 'polite' });
    const row = h('div', { class: 'row channel' }, type, url,
      h('button', { type: 'button', 'aria-label': 'Remove channel', onclick: () => { row.remove(); changed(); } }, '×'), error);
    channelRows.append(row);
  };
  for (const [k, v] of Object.entries(rule?.labels ?? {})) addLabel(k, v);
  for (const c of rule?.notify ?? []) addChannel(c);
  labelsBox.row.append(h('span', { class: 'field-label' }, 'Labels'), labelRows,
    h('button', { type: 'button', onclick: () => { addLabel(); changed(); } }, 'Add label'), labelsBox.error);
  notifyBox.row.append(h('span', { class: 'field-label' }, 'Notify'), channelRows,
    h('button', { type: 'button', onclick: () => { addChannel(); changed(); } }, 'Add channel'), notifyBox.error);

  const setOperators = (): void => {
    const k = kind.input.value as Kind;
    const el = operator.input as HTMLSelectElement;
    const before = el.value || rule?.operator || '>';
    el.replaceChildren(...OPERATOR_CHOICES[k].map((v) => h('option', { value: v }, OPERATOR_WORDS[v] ?? v)));
    el.value = OPERATOR_CHOICES[k].includes(before) ? before : OPERATOR_CHOICES[k][0] ?? '';
  };
  const showForKind = (): void => {
    const k = kind.input.value as Kind;
    for (const [n, f] of fields) f.row.hidden = !uses(k, n);
    threshold.row.querySelector('.field-label')!.textContent = k === 'ratio' ? 'Threshold (%)' : k === 'latency' ? 'Threshold (ms)' : k === 'absence' ? 'Fewer than (records)' : 'Threshold';
  };
  kind.input.addEventListener('change', () => { setOperators(); showForKind(); });
  setOperators();
  showForKind();

  const el = h('div', { class: 'rule-form' },
    h('fieldset', {}, h('legend', {}, 'Rule'), name.row, kind.row, severity.row,
      h('label', { class: 'check' }, enabled, ' Enabled')),
    h('fieldset', {}, h('legend', {}, 'Condition'), operator.row, threshold.row, recover.row, percentile.row, minRequests.row,
      sensitivity.row, minHistory.row, valueField.row, window.row, forField.row),
    h('fieldset', {}, h('legend', {}, 'Records it looks at'), ...filterFields.map((f) => f.row)),
    h('fieldset', {}, h('legend', {}, 'Labels and notifications'), labelsBox.row, notifyBox.row,
      h('label', { class: 'check' }, historical, ' Also notify episodes found in old data')));
  el.addEventListener('input', changed);
  el.addEventListener('change', changed);

  function read(): { body: RuleBody; errors: Map<string, string> } {
    const errors = new Map<string, string>();
    const k = kind.input.value as Kind;
    const number = (f: Field, required: boolean): number | undefined => {
      const input = f.input as HTMLInputElement;
      if (f.row.hidden) return undefined;
      if (input.validity.badInput) errors.set(f.input.name, 'must be a number');
      else if (input.value.trim() === '') { if (required) errors.set(f.input.name, `required for a ${k} rule`); }
      else return Number(input.value);
      return undefined;
    };
    const body: RuleBody = {
      name: name.input.value.trim(), kind: k, filter: {}, window: window.input.value.trim(), for: forField.input.value.trim(),
      severity: severity.input.value, labels: {}, notify: [], notify_historical: historical.checked, enabled: enabled.checked,
    };
    if (!body.name) errors.set('name', 'must not be empty');
    for (const [n, v] of [['window', body.window], ['for', body.for]] as const) {
      if (durationMs(v) === null) errors.set(n, 'expected a duration such as 30s, 5m, 1h or 1d');
    }
    if (uses(k, 'operator') && operator.input.value) body.operator = operator.input.value;
    const t = number(threshold, uses(k, 'threshold'));
    if (t !== undefined) body.threshold = t;
    const optional: [Field, 'recover_threshold' | 'min_requests' | 'sensitivity' | 'min_history'][] = [
      [recover, 'recover_threshold'], [minRequests, 'min_requests'], [sensitivity, 'sensitivity'], [minHistory, 'min_history'],
    ];
    for (const [f, key] of optional) {
      const v = number(f, false);
      if (v !== undefined) body[key] = v;
    }
    if (uses(k, 'percentile')) body.percentile = percentile.input.value;
    if (uses(k, 'field')) body.field = valueField.input.value;
    for (const [i, key] of FILTER_KEYS.entries()) {
      const v = filterFields[i]!.input.value.trim();
      const stored = storedFilter?.[key];
      // A route list shown as one line is sent back as the list it was, unless it was edited.
      if (key === 'route' && Array.isArray(stored) && v === filterText(stored)) body.filter.route = stored;
      else if (v) body.filter[key] = v;
    }
    for (const row of labelRows.children) {
      const [key, value] = [...row.querySelectorAll('input')].map((x) => x.value.trim());
      if (!key && !value) continue;
      if (!key) errors.set('labels', 'a label needs a name');
      else body.labels[key] = value ?? '';
    }
    for (const row of channelRows.children) {
      const type = row.querySelector('select')!.value as Channel['type'];
      body.notify.push({ type, url: row.querySelector('input')!.value.trim() });
    }
    return { body, errors };
  }

  function showErrors(errors: Map<string, string>): string[] {
    const unplaced: string[] = [];
    for (const f of fields.values()) { f.error.textContent = ''; f.input.removeAttribute('aria-invalid'); }
    for (const e of channelRows.querySelectorAll('.field-error')) e.textContent = '';
    for (const [name, reason] of errors) {
      // `notify.2.url` belongs to the third channel row; `labels.x` and `filter` to their boxes.
      const channel = /^notify\.(\d+)/.exec(name);
      const rowError = channel ? channelRows.children[Number(channel[1])]?.querySelector('.field-error') : null;
      const f = fields.get(name) ?? (name.startsWith('labels') ? labelsBox : name.startsWith('notify') ? notifyBox : undefined);
      const target = rowError ?? (f && !f.row.hidden ? f.error : null);
      if (!target) { unplaced.push(`${name}: ${reason}`); continue; }
      target.textContent = target.textContent ? `${target.textContent}; ${reason}` : reason;
      f?.input.setAttribute('aria-invalid', 'true');
    }
    return unplaced;
  }

  return { el, read, showErrors, onChange: (fn) => listeners.push(fn) };
}

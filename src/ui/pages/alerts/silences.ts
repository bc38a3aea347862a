/**
 * Silences in force or ahead, a form to add one (matchers: a rule, a severity and/or labels; for a
 * duration or until a time; a comment), and "End now" (DELETE expires it: kept for the record).
 */
import { ApiError, api, describeError } from '../../api.js';
import { fmtTime, h, notice } from '../../dom.js';
import { SEVERITIES, type Silence, type StoredRule } from './model.js';

const DURATIONS: [string, number][] = [['1 hour', 3_600_000], ['4 hours', 4 * 3_600_000], ['1 day', 86_400_000], ['7 days', 7 * 86_400_000]];

/** `team=edge, env=prod` → {team: 'edge', env: 'prod'}; null when a part is not name=value. */
export function parseLabels(text: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*(.*)$/.exec(part);
    if (!m) return null;
    out[m[1]!] = m[2]!;
  }
  return out;
}

function matchers(s: Silence, rules: StoredRule[]): string {
  const parts: string[] = [];
  if (s.rule_id !== null) parts.push(`rule ${rules.find((r) => r.id === s.rule_id)?.name ?? `#${s.rule_id} (deleted)`}`);
  if (s.severity) parts.push(`severity ${s.severity}`);
  for (const [k, v] of Object.entries(s.labels)) parts.push(`${k}=${v}`);
  return parts.join(', ');
}

export function silencesSection(rules: StoredRule[], signal: AbortSignal, onChanged: () => void): HTMLElement {
  const list = h('div', {}, notice('loading', 'Loading silences…'));
  const error = h('p', { class: 'notice error', role: 'alert' });
  const rule = h('select', { 'aria-label': 'Silence rule' }, h('option', { value: '' }, 'any rule'), ...rules.map((r) => h('option', { value: r.id }, r.name)));
  const severity = h('select', { 'aria-label': 'Silence severity' }, h('option', { value: '' }, 'any severity'), ...SEVERITIES.map((s) => h('option', { value: s }, s)));
  const labels = h('input', { type: 'text', 'aria-label': 'Silence labels', placeholder: 'team=edge, env=prod' });
  const duration = h('select', { 'aria-label': 'Silence duration' }, ...DURATIONS.map(([t, ms]) => h('option', { value: ms }, t)), h('option', { value: 'until' }, 'until…'));
  const until = h('input', { type: 'datetime-local', 'aria-label': 'Silence until', hidden: true });
  duration.addEventListener('change', () => { until.hidden = duration.value !== 'until'; });
  const comment = h('input', { type: 'text', 'aria-label': 'Silence comment', placeholder: 'why (maintenance, known issue…)', maxlength: 1000 });
  const form = h('form', { class: 'silence-form', 'aria-label': 'New silence' },
    rule, severity, labels, duration, until, comment, h('button', { type: 'submit' }, 'Add silence'));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const parsedLabels = parseLabels(labels.value);
    if (parsedLabels === null) {
      error.textContent = 'Labels: write name=value pairs separated by commas.';
      return;
    }
    const endsAt = duration.value === 'until'
      ? (until.value ? new Date(until.value).toISOString() : '')
      : new Date(Date.now() + Number(duration.value)).toISOString();
    if (!endsAt) {
      error.textContent = 'Until: choose when the silence ends.';
      return;
    }
    const body = {
      ...(rule.value ? { rule_id: Number(rule.value) } : {}), ...(severity.value ? { severity: severity.value } : {}),
      labels: parsedLabels, ends_at: endsAt, comment: comment.value.trim(),
    };
    error.textContent = '';
    api.post('/alerts/silences', body).then(() => onChanged()).catch((err: unknown) => {
      // "rule_id: a silence needs a matcher" reads better as a sentence about the whole form.
      error.textContent = err instanceof ApiError && err.problem.invalid_params?.length
        ? err.problem.invalid_params.map((p) => p.reason).join('; ')
        : describeError(err);
    });
  });

  api.get<{ items: Silence[] }>('/alerts/silences', {}, signal).then(({ items }) => {
    if (!items.length) {
      list.replaceChildren(notice('empty', 'No silences. Add one to keep a rule quiet during maintenance: its episodes are still recorded.'));
      return;
    }
    list.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'silences-table' },
      h('thead', {}, h('tr', {}, ...['Matches', 'From', 'Until', 'Comment', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, ...items.map((s) => h('tr', { 'data-testid': 'silence-row', 'data-silence-id': s.id },
        h('td', {}, matchers(s, rules)), h('td', {}, fmtTime(s.starts_at)), h('td', {}, fmtTime(s.ends_at)), h('td', {}, s.comment),
        h('td', {}, h('button', {
          type: 'button', 'aria-label': `End silence ${s.id} now`,
          onclick: () => { api.delete(`/alerts/silences/${s.id}`).then(() => onChanged()).catch((err: unknown) => { error.textContent = describeError(err); }); },
        }, 'End now'))))))));
  }).catch((err: unknown) => { if (!signal.aborted) list.replaceChildren(notice('error', describeError(err))); });

  return h('section', { class: 'panel', 'aria-label': 'Silences' }, h('h2', {}, 'Silences'),
    h('p', { class: 'notice' }, 'Times are wall-clock (silences apply to notifications sent from now), shown in UTC.'), list, form, error);
}

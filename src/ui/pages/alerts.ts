/**
 * Alerts: the rules with their live state, the editor (`?edit=new` or `?edit=<id>`, so a reload or a
 * shared link opens it again) with its backtest over the filter bar's range, history and silences.
 * Every change (save, toggle, delete, silence) draws the page again from the API.
 */
import type { Summary } from '../../api/wireTypes.js';
import { api } from '../api.js';
import { h, notice } from '../dom.js';
import type { PageContext } from '../page.js';
import { filterBar } from '../filterBar.js';
import { resolveRange, sourceNames, type ViewRange } from '../range.js';
import type { BacktestRange } from './alerts/backtestPreview.js';
import { historySection } from './alerts/history.js';
import type { RuleState, StoredRule } from './alerts/model.js';
import { ruleEditor } from './alerts/ruleEditor.js';
import { rulesList } from './alerts/rulesList.js';
import { silencesSection } from './alerts/silences.js';

/** The API's backtest limit (src/alerts/backtest.ts). */
const MAX_BACKTEST_MS = 31 * 86_400_000;

/** A backtest needs a finite range: an open end is the data's own first or last minute. */
async function backtestRange(r: ViewRange, signal: AbortSignal): Promise<BacktestRange> {
  let start = r.from ? Date.parse(r.from) : NaN;
  let end = r.to ? Date.parse(r.to) : NaN;
  if (Number.isNaN(start) || Number.isNaN(end)) {
    const s = await api.get<Summary>('/analytics/summary', { source: r.source }, signal);
    const now = Date.now();
    if (Number.isNaN(end)) end = s.last_timestamp ? Math.floor(Date.parse(s.last_timestamp) / 60_000) * 60_000 + 60_000 : now;
    if (Number.isNaN(start)) start = s.first_timestamp ? Math.floor(Date.parse(s.first_timestamp) / 60_000) * 60_000 : end - 86_400_000;
  }
  let note = '';
  if (end - start > MAX_BACKTEST_MS) {
    start = end - MAX_BACKTEST_MS;
    note = 'the last 31 days of the range: a backtest covers at most 31 days';
  }
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString(), source: r.source, note };
}

export async function render(ctx: PageContext): Promise<void> {
  const { signal } = ctx;
  const range = await resolveRange(ctx.params, signal);
  const [sources, rules, states] = await Promise.all([
    sourceNames(signal),
    api.get<{ items: StoredRule[] }>('/alerts/rules', {}, signal),
    api.get<{ items: RuleState[] }>('/alerts/states', {}, signal),
  ]);
  const reload = (): void => ctx.navigate({}, { replace: true });
  ctx.root.append(h('h1', {}, 'Alerts'), filterBar({ params: ctx.params, range, sources, fields: ['source'], apply: (p) => ctx.navigate(p) }).el);

  const editing = ctx.params.get('edit');
  if (editing) {
    const rule = editing === 'new' ? null : rules.items.find((r) => String(r.id) === editing) ?? undefined;
    if (rule === undefined) {
      ctx.root.append(notice('error', `No alert rule ${editing}: it may have been deleted.`));
    } else {
      ctx.root.append(h('section', { class: 'panel editor-panel' }, ruleEditor({
        rule, range: await backtestRange(range, signal), signal, onLeave: (fn) => ctx.onLeave(fn),
        onSaved: () => ctx.navigate({ edit: null }),
        onCancel: () => ctx.navigate({ edit: null }),
      })));
    }
  }

  ctx.root.append(
    rulesList({
      rules: rules.items, states: states.items, onChanged: reload,
      onEdit: (r) => ctx.navigate({ edit: String(r.id) }),
      onNew: () => ctx.navigate({ edit: 'new' }),
    }),
    historySection({ start_date: range.from ?? undefined, end_date: range.to ?? undefined }, signal),
    silencesSection(rules.items, signal, reload),
  );
  if (editing) ctx.root.querySelector<HTMLInputElement>('.rule-editor input[name="name"]')?.focus();
}

/**
 * The rules table: each rule's condition in words, severity, an enabled switch (PATCH), where live
 * evaluation stands (GET /alerts/states: inactive, pending or firing, and the last window's value),
 * and edit / delete. Deleting asks in place (a second button), not with a browser dialog.
 */
import { api, describeError } from '../../api.js';
import { fmtTime, h, notice } from '../../dom.js';
import { conditionWords, fmtValue, type RuleState, type StoredRule } from './model.js';

export interface RulesListOptions {
  rules: StoredRule[];
  states: RuleState[];
  onEdit(rule: StoredRule): void;
  onNew(): void;
  /** After a change (toggle, delete): the page reloads its data. */
  onChanged(): void;
}

function stateCell(s: RuleState | undefined): HTMLElement {
  const state = s?.state ?? 'inactive';
  const title = s?.evaluated_to ? `evaluated to ${fmtTime(s.evaluated_to)} UTC${s.since ? `; ${state} since ${fmtTime(s.since)}` : ''}` : 'not evaluated yet';
  return h('td', {}, h('span', { class: `badge ${state}`, title, 'data-testid': 'rule-state' }, state));
}

export function rulesList(o: RulesListOptions): HTMLElement {
  const message = h('p', { class: 'notice error', role: 'alert' });
  const newButton = h('button', { type: 'button', class: 'primary', onclick: () => o.onNew() }, 'New rule');
  const head = h('div', { class: 'section-head' }, h('h2', {}, `Rules (${o.rules.length})`), newButton);
  if (o.rules.length === 0) {
    return h('section', { class: 'panel', 'aria-label': 'Rules' }, head,
      notice('empty', 'No alert rules yet. Create one with “New rule”: the editor shows what it would have done on your data before you save it.'));
  }
  const states = new Map(o.states.map((s) => [s.rule_id, s]));
  const rows = o.rules.map((r) => {
    const s = states.get(r.id);
    const toggle = h('input', { type: 'checkbox', checked: r.enabled, 'aria-label': `Enabled: ${r.name}` });
    toggle.addEventListener('change', () => {
      toggle.disabled = true;
      api.patch(`/alerts/rules/${r.id}`, { enabled: toggle.checked })
        .then(() => o.onChanged())
        .catch((err: unknown) => {
          toggle.checked = !toggle.checked;
          toggle.disabled = false;
          message.textContent = `${r.name}: ${describeError(err)}`;
        });
    });
    const actions = h('td', { class: 'actions' });
    const showActions = (): void => {
      actions.replaceChildren(
        h('button', { type: 'button', onclick: () => o.onEdit(r), 'aria-label': `Edit ${r.name}` }, 'Edit'),
        h('button', { type: 'button', onclick: confirmDelete, 'aria-label': `Delete ${r.name}` }, 'Delete'));
    };
    function confirmDelete(): void {
      actions.replaceChildren(h('span', {}, 'Delete this rule? '),
        h('button', {
          type: 'button', class: 'danger', 'aria-label': `Confirm delete ${r.name}`,
          onclick: () => {
            api.delete(`/alerts/rules/${r.id}`).then(() => o.onChanged()).catch((err: unknown) => {
              message.textContent = `${r.name}: ${describeError(err)}`;
              showActions();
            });
          },
        }, 'Yes, delete'),
        h('button', { type: 'button', onclick: showActions }, 'Keep'));
    }
    showActions();
    return h('tr', { 'data-rule-id': r.id, 'data-testid': 'rule-row' },
      h('td', {}, h('strong', {}, r.name)),
      h('td', { 'data-testid': 'rule-condition' }, conditionWords(r)),
      h('td', {}, h('span', { class: `severity ${r.severity}` }, r.severity)),
      h('td', {}, toggle),
      stateCell(s),
      h('td', { class: 'num', title: s?.evaluated_to ? `window ending ${fmtTime(s.evaluated_to)} UTC` : '' }, fmtValue(r.kind, s?.value ?? null)),
      actions);
  });
  return h('section', { class: 'panel', 'aria-label': 'Rules' }, head, message,
    h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'rules-table' },
      h('thead', {}, h('tr', {}, ...['Name', 'Condition', 'Severity', 'Enabled', 'State', 'Last value', ''].map((t) => h('th', { class: t === 'Last value' ? 'num' : null }, t)))),
      h('tbody', {}, ...rows))));
}

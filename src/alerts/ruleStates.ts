import type { Queryable } from '../db/db.js';
import { listRules } from './ruleStore.js';
import { ruleSteps } from './series.js';
import type { AlertState, MachineState } from './stateMachine.js';

/** Where a rule stands in live evaluation, for a person looking at the rules list. */
export interface RuleStateView {
  rule_id: number;
  state: AlertState;
  /** Window end (event time) of the first step of the current pending or firing stretch. */
  since: string | null;
  /** End of the last window evaluated (event time); null when the rule has not been evaluated yet. */
  evaluated_to: string | null;
  /** The rule's value over the window ending at `evaluated_to` (null: not evaluated, or not enough data to judge). */
  value: number | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Every rule's live state. The stored machine keeps the state but not the value it judged, so the
 * value of the last evaluated window is computed again from the same steps the evaluator reads:
 * one window per rule, from the rollups for most rules.
 */
export async function listRuleStates(db: Queryable): Promise<RuleStateView[]> {
  const rows = await db.query<{ rule_id: number; machine: MachineState; evaluated_to: string }>('SELECT rule_id, machine, evaluated_to FROM alert_rule_states');
  const stored = new Map(rows.rows.map((r) => [Number(r.rule_id), r]));
  const out: RuleStateView[] = [];
  for (const rule of await listRules(db)) {
    const s = stored.get(rule.id);
    if (!s) {
      out.push({ rule_id: rule.id, state: 'inactive', since: null, evaluated_to: null, value: null });
      continue;
    }
    const endMs = Date.parse(s.evaluated_to);
    const [step] = await ruleSteps(db, rule, endMs, endMs);
    out.push({
      rule_id: rule.id,
      // A disabled rule is not evaluated: its stored state is history, not news.
      state: rule.enabled ? s.machine.state : 'inactive',
      since: rule.enabled && s.machine.sinceMs !== null ? iso(s.machine.sinceMs) : null,
      evaluated_to: iso(endMs),
      value: step?.value ?? null,
    });
  }
  return out;
}

/** What a rule's steps are compared with: the condition its state machine fires and resolves on. */
import { effectiveSettings, type Rule } from './rule.js';
import type { Condition } from './stateMachine.js';

/** The threshold condition of a rule with a threshold. */
export function conditionOf(rule: Rule): Condition {
  const s = effectiveSettings(rule);
  if (rule.kind === 'new_value') return { operator: '>', threshold: 0, forMs: s.forMs };
  if (rule.kind === 'anomaly') {
    // The value is a robust z-score: spikes fire above +sensitivity, drops below −sensitivity.
    return { operator: s.operator, threshold: s.operator === '<' ? -s.sensitivity : s.sensitivity, forMs: s.forMs };
  }
  return { operator: s.operator, threshold: rule.threshold!, recoverThreshold: rule.recover_threshold, forMs: s.forMs };
}

import type { Queryable } from '../db/db.js';
import { effectiveSettings, type Rule } from './rule.js';
import { ruleSteps, windowEnds } from './series.js';
import { episodesOf, type Condition, type Episode } from './stateMachine.js';

/** Backtests cover at most this much event time (one step a minute). */
export const MAX_BACKTEST_MS = 31 * 86_400_000;

export class BacktestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

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

/**
 * Runs a rule over stored data: the same steps and state machine as live evaluation, every window
 * end in (start, end], nothing written. Returns the episodes it would have had (the last one
 * possibly still firing at the end).
 */
export async function backtest(db: Queryable, rule: Rule, startMs: number, endMs: number): Promise<{ episodes: Episode[]; steps: number }> {
  if (endMs - startMs > MAX_BACKTEST_MS) throw new BacktestError('end_date', 'a backtest covers at most 31 days');
  const { firstEndMs, lastEndMs } = windowEnds(startMs, endMs);
  const steps = await ruleSteps(db, rule, firstEndMs, lastEndMs);
  return { episodes: episodesOf(steps, conditionOf(rule)).episodes, steps: steps.length };
}

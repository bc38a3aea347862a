/**
 * Evaluates the enabled rules over event time and records their episodes. Two ways in:
 * - live, on a timer: each rule's state machine goes on from where it stood (alert_rule_states) to
 *   the window ending at the current minute;
 * - after an ingest job: the rules run over every window the job's time span touches, from an
 *   inactive state, so an upload of yesterday's log records yesterday's episodes at their times.
 * Episodes are keyed by rule and firing window (recordEpisodes), so both ways, repeated ticks and
 * other processes find the same rows instead of adding new ones. One process evaluates at a time.
 */
import type { Db, Queryable } from '../db/db.js';
import { floorTo } from '../domain/timeBuckets.js';
import { conditionOf } from './backtest.js';
import { recordEpisodes } from './history.js';
import { effectiveSettings, type StoredRule } from './rule.js';
import { listRules } from './ruleStore.js';
import { ruleSteps, STEP_MS } from './series.js';
import { enqueueDeliveries } from './notifications.js';
import { isSilenced } from './silences.js';
import { episodesOf, INITIAL_STATE, type Episode, type MachineState } from './stateMachine.js';

/** Advisory lock key: the process holding it is the one evaluating. */
export const ALERT_EVAL_LOCK = 7_402_003;
/** Live evaluation catches up at most this far back (after downtime, or for a new rule). */
const MAX_CATCH_UP_MS = 60 * 60_000;

export interface EvaluationResult {
  rules: number;
  steps: number;
  /** Episodes recorded for the first time. */
  newEpisodes: number;
}

export interface EvaluationOptions {
  /** Episodes that ended longer ago than this before being found are recorded but not notified. */
  notifyMaxAgeMs: number;
}

/**
 * Records a rule's episodes and makes their notifications, unless a silence matches the rule now:
 * then new episodes are marked silenced and nothing is sent for any of them.
 */
async function record(tx: Queryable, rule: StoredRule, episodes: Episode[], opts: EvaluationOptions): Promise<number> {
  const { entries, newIds } = await recordEpisodes(tx, rule, episodes);
  const nowMs = Date.now();
  if (entries.length && (await isSilenced(tx, rule, nowMs))) {
    if (newIds.length) await tx.query('UPDATE alert_history SET silenced = true WHERE id = ANY($1::bigint[])', [newIds]);
  } else {
    await enqueueDeliveries(tx, rule, entries, nowMs, opts.notifyMaxAgeMs);
  }
  return newIds.length;
}

/** Runs `work` over the enabled rules if no other process is evaluating; null if one is. */
async function withRules(db: Db, work: (tx: Queryable, rule: StoredRule) => Promise<{ steps: number; newEpisodes: number }>): Promise<EvaluationResult | null> {
  return db.transaction(async (tx) => {
    const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [ALERT_EVAL_LOCK]);
    if (!lock.rows[0]!.ok) return null;
    const result: EvaluationResult = { rules: 0, steps: 0, newEpisodes: 0 };
    for (const rule of await listRules(tx, { enabledOnly: true })) {
      const r = await work(tx, rule);
      result.rules++;
      result.steps += r.steps;
      result.newEpisodes += r.newEpisodes;
    }
    return result;
  });
}

/** Live evaluation up to the window ending at the minute of `nowMs`. */
export async function evaluateLive(db: Db, nowMs: number, opts: EvaluationOptions): Promise<EvaluationResult | null> {
  const targetMs = floorTo(nowMs, STEP_MS);
  return withRules(db, async (tx, rule) => {
    const stored = await tx.query<{ machine: MachineState; evaluated_to: string }>(
      'SELECT machine, evaluated_to FROM alert_rule_states WHERE rule_id = $1', [rule.id],
    );
    const from = stored.rows[0];
    const firstEndMs = Math.max(from ? Date.parse(from.evaluated_to) + STEP_MS : targetMs, targetMs - MAX_CATCH_UP_MS);
    if (firstEndMs > targetMs) return { steps: 0, newEpisodes: 0 };
    const steps = await ruleSteps(tx, rule, firstEndMs, targetMs);
    const { episodes, state } = episodesOf(steps, conditionOf(rule), from?.machine ?? INITIAL_STATE);
    const newEpisodes = await record(tx, rule, episodes, opts);
    await saveState(tx, rule.id, state, targetMs, false);
    return { steps: steps.length, newEpisodes };
  });
}

/**
 * Evaluation over ingested event time [fromMs, toMs]: every window that holds any of it, and for
 * all but absence rules the windows after it until its last minute has left them (so that an
 * episode in the data also resolves), but none that ends after `nowMs` (its minutes are not over).
 * An absence rule stops at the data's end: silence after the last line of an old file is not news.
 * When the span reaches past where live evaluation of a rule stood, live evaluation goes on from
 * the span's state: an episode still firing at its end is resolved by a later tick.
 */
export async function evaluateSpan(db: Db, fromMs: number, toMs: number, nowMs: number, opts: EvaluationOptions): Promise<EvaluationResult | null> {
  return withRules(db, async (tx, rule) => {
    const { windowMs } = effectiveSettings(rule);
    const firstEndMs = floorTo(fromMs, STEP_MS) + STEP_MS;
    const lastEndMs = Math.min(floorTo(toMs, STEP_MS) + (rule.kind === 'absence' ? 0 : windowMs), floorTo(nowMs, STEP_MS));
    const steps = await ruleSteps(tx, rule, firstEndMs, lastEndMs);
    const { episodes, state } = episodesOf(steps, conditionOf(rule));
    const newEpisodes = await record(tx, rule, episodes, opts);
    if (steps.length) await saveState(tx, rule.id, state, lastEndMs, true);
    return { steps: steps.length, newEpisodes };
  });
}

/** Stores where a rule's live evaluation stands; `onlyForward` keeps a state that is further on. */
async function saveState(tx: Queryable, ruleId: number, state: MachineState, evaluatedToMs: number, onlyForward: boolean): Promise<void> {
  await tx.query(
    `INSERT INTO alert_rule_states AS s (rule_id, machine, evaluated_to) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (rule_id) DO UPDATE SET machine = EXCLUDED.machine, evaluated_to = EXCLUDED.evaluated_to, updated_at = now()
     ${onlyForward ? 'WHERE s.evaluated_to < EXCLUDED.evaluated_to' : ''}`,
    [ruleId, JSON.stringify(state), new Date(evaluatedToMs).toISOString()],
  );
}

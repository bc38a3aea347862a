/**
 * Evaluates the enabled rules over event time and records their episodes. Two ways in:
 * - live, on a timer: each rule's state machine goes on from where it stood (alert_rule_states) to
 *   the window ending at the current minute;
 * - after an ingest job: the rules run over every window the job's time span touches, from an
 *   inactive state, so an upload of yesterday's log records yesterday's episodes at their times.
 *   At most ALERT_SPAN_MAX of it, a day of windows at a time, each day committed on its own.
 * Episodes are keyed by rule and firing window (recordEpisodes), so both ways, repeated ticks and
 * other processes find the same rows instead of adding new ones. One process evaluates at a time.
 */
import type { Db, Queryable } from '../db/db.js';
import { floorTo } from '../domain/timeBuckets.js';
import { conditionOf } from './condition.js';
import { recordEpisodes } from './history.js';
import { effectiveSettings, type StoredRule } from './rule.js';
import { STEP_MS } from './minutes.js';
import { listRules } from './ruleStore.js';
import { dbMinutes, ruleSteps } from './series.js';
import { enqueueDeliveries } from './notifications.js';
import { isSilenced } from './silences.js';
import { episodesOf, INITIAL_STATE, settledEpisodesOf, type Episode, type MachineState } from './stateMachine.js';
import { stepChunks } from './stepChunks.js';

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
  /** Stops between two rules' reads (shutdown): the transaction rolls back and nothing is recorded. */
  signal?: AbortSignal;
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

interface StoredState {
  machine: MachineState;
  evaluatedToMs: number;
}

/** What a rule's evaluation returns: its counts, and where its live evaluation should stand now (if it moved). */
interface RuleOutcome {
  steps: number;
  newEpisodes: number;
  save?: { state: MachineState; evaluatedToMs: number };
}

/**
 * A rule's evaluation in two parts: `read` computes its steps from the stored records (queries only;
 * null when it has nothing to evaluate), `write` records what they mean in the tick's transaction.
 */
interface RuleWork<T> {
  read(q: Queryable, rule: StoredRule, stored: StoredState | undefined): Promise<T | null>;
  write(tx: Queryable, rule: StoredRule, stored: StoredState | undefined, read: T): Promise<RuleOutcome>;
}

interface StateSave {
  ruleId: number;
  state: MachineState;
  evaluatedToMs: number;
}

/** Where live evaluation of each rule goes on from; `onlyForward` keeps a stored state that is further on. */
async function saveStates(tx: Queryable, saves: readonly StateSave[], onlyForward: boolean): Promise<void> {
  if (saves.length === 0) return;
  await tx.query(
    `INSERT INTO alert_rule_states AS s (rule_id, machine, evaluated_to)
     SELECT * FROM unnest($1::bigint[], $2::jsonb[], $3::timestamptz[])
     ON CONFLICT (rule_id) DO UPDATE SET machine = EXCLUDED.machine, evaluated_to = EXCLUDED.evaluated_to, updated_at = now()
     ${onlyForward ? 'WHERE s.evaluated_to < EXCLUDED.evaluated_to' : ''}`,
    [saves.map((x) => x.ruleId), saves.map((x) => JSON.stringify(x.state)), saves.map((x) => new Date(x.evaluatedToMs).toISOString())],
  );
}

/**
 * Rules read at once on PostgreSQL, each on a pooled connection of its own: a tick is a query or more
 * per rule, and on two cores four in flight took 1,000 rules' reads from 1.23 s to 0.68–0.77 s.
 * PGlite has one backend, which the tick's transaction holds: there they go one by one through it.
 */
const READ_CONCURRENCY = 4;

/**
 * Runs `work` over the enabled rules while no other process evaluates (waiting for it, or null if
 * one is and `waitForLock` is not set), with every
 * rule's stored state read in one query and the new states written in one. The reads see committed
 * records; the lock is held from before the first read until the states are written.
 * `onlyForward` keeps a stored state that is further on.
 */
async function withRules<T>(
  db: Db, mode: { onlyForward: boolean; waitForLock: boolean; signal?: AbortSignal | undefined }, work: RuleWork<T>,
): Promise<EvaluationResult | null> {
  return db.transaction(async (tx) => {
    if (mode.waitForLock) await tx.query('SELECT pg_advisory_xact_lock($1)', [ALERT_EVAL_LOCK]);
    else {
      const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [ALERT_EVAL_LOCK]);
      if (!lock.rows[0]!.ok) return null;
    }
    const states = new Map<number, StoredState>();
    const rows = await tx.query<{ rule_id: number; machine: MachineState; evaluated_to: string }>('SELECT rule_id, machine, evaluated_to FROM alert_rule_states');
    for (const r of rows.rows) states.set(r.rule_id, { machine: r.machine, evaluatedToMs: Date.parse(r.evaluated_to) });
    const rules = await listRules(tx, { enabledOnly: true });
    const [reader, concurrency] = db.singleBackend ? [tx, 1] : [db, READ_CONCURRENCY];
    const reads = new Array<T | null>(rules.length);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(concurrency, rules.length) }, async () => {
      for (let i = next++; i < rules.length; i = next++) {
        mode.signal?.throwIfAborted();
        reads[i] = await work.read(reader, rules[i]!, states.get(rules[i]!.id));
      }
    }));
    const result: EvaluationResult = { rules: 0, steps: 0, newEpisodes: 0 };
    const saves: StateSave[] = [];
    for (const [i, rule] of rules.entries()) {
      result.rules++;
      const read = reads[i];
      if (read === null || read === undefined) continue;
      const r = await work.write(tx, rule, states.get(rule.id), read);
      result.steps += r.steps;
      result.newEpisodes += r.newEpisodes;
      if (r.save) saves.push({ ruleId: rule.id, ...r.save });
    }
    await saveStates(tx, saves, mode.onlyForward);
    return result;
  });
}

/**
 * Whether more records can only make the rule's value breach more: a count above a threshold. Such a
 * rule is also judged on the window still filling (ending at the end of the current minute), so it
 * fires within one tick of the threshold being crossed instead of when the minute is over: that
 * window, complete, will count at least as many. Other rules (a ratio, a latency, an absence, an
 * anomaly, any rule with `for`) can change either way and are judged on complete windows only.
 */
function risesWithRecords(rule: StoredRule): boolean {
  // With `for`, the breach must last in event time: a window that ends in the future cannot say so.
  return rule.kind === 'count' && (rule.operator === '>' || rule.operator === '>=') && effectiveSettings(rule).forMs === 0;
}

/**
 * Live evaluation up to the window ending at the minute of `nowMs`, and, for a rule whose value only
 * rises with records, a look at the window still filling: if it breaches now, the episode is recorded
 * (and notified) now, and evaluation goes on after that window. If not, the stored state stays at the
 * last complete window, and the next tick looks again.
 */
export async function evaluateLive(db: Db, nowMs: number, opts: EvaluationOptions): Promise<EvaluationResult | null> {
  const targetMs = floorTo(nowMs, STEP_MS);
  // A tick that finds another process evaluating is skipped: the next one catches up.
  return withRules(db, { onlyForward: false, waitForLock: false, signal: opts.signal }, {
    async read(q, rule, from) {
      const firstEndMs = Math.max(from ? from.evaluatedToMs + STEP_MS : targetMs, targetMs - MAX_CATCH_UP_MS);
      const lastEndMs = risesWithRecords(rule) ? targetMs + STEP_MS : targetMs;
      return firstEndMs > lastEndMs ? null : ruleSteps(q, rule, firstEndMs, lastEndMs);
    },
    async write(tx, rule, from, steps) {
      const condition = conditionOf(rule);
      const complete = steps.filter((step) => step.windowEndMs <= targetMs);
      const { episodes, state } = episodesOf(complete, condition, from?.machine ?? INITIAL_STATE);
      const filling = steps.find((step) => step.windowEndMs > targetMs);
      if (filling && state.state !== 'firing') {
        const early = episodesOf([filling], condition, state);
        if (early.state.state === 'firing') {
          // Fired on the window still filling: it counts as evaluated (complete, it would fire too).
          const newEpisodes = await record(tx, rule, [...episodes, early.state.episode!], opts);
          return { steps: steps.length, newEpisodes, save: { state: early.state, evaluatedToMs: filling.windowEndMs } };
        }
      }
      const newEpisodes = await record(tx, rule, episodes, opts);
      return { steps: complete.length, newEpisodes, save: { state, evaluatedToMs: targetMs } };
    },
  });
}

export interface SpanOptions extends EvaluationOptions {
  /** At most this much event time is evaluated, back from the span's last record (capped at now): ALERT_SPAN_MAX. */
  spanMaxMs: number;
  /** Stops the evaluation between two chunks (shutdown); the result then says `aborted`. */
  signal?: AbortSignal | undefined;
  /** Window ends per chunk; CHUNK_STEPS unless a test wants more chunks. */
  chunkSteps?: number | undefined;
  /** Only this rule (a new rule's `evaluate_from`); by default every enabled rule. */
  ruleId?: number | undefined;
}

export interface SpanEvaluation extends EvaluationResult {
  /** The records' event time evaluated; null when all of it is after now (its windows are not over). */
  evaluated: { fromMs: number; toMs: number } | null;
  /** The span's part before `evaluated`, left out because it is older than spanMaxMs before the last record. */
  notEvaluated: { fromMs: number; toMs: number } | null;
  /** Stopped by the signal before the end: evaluating the span again finishes it (episodes are idempotent). */
  aborted: boolean;
}

/**
 * The part of a job's span that is evaluated: spanMaxMs back from its last record, or from now when
 * the records reach past now. Without a bound, one line dated 1970 in today's upload made evaluation
 * walk every minute since then (2.6 GB of steps per rule); the older part is reported instead.
 */
export function boundSpan(span: { fromMs: number; toMs: number }, nowMs: number, spanMaxMs: number): Pick<SpanEvaluation, 'evaluated' | 'notEvaluated'> {
  const lastMs = Math.min(span.toMs, nowMs);
  if (span.fromMs > lastMs) return { evaluated: null, notEvaluated: null };
  const fromMs = Math.max(span.fromMs, lastMs - spanMaxMs);
  return { evaluated: { fromMs, toMs: lastMs }, notEvaluated: fromMs > span.fromMs ? { fromMs: span.fromMs, toMs: fromMs } : null };
}

/** Records episodes in a transaction of their own, under the evaluation lock (waiting for it). */
async function recordLocked(db: Db, rule: StoredRule, episodes: Episode[], opts: EvaluationOptions): Promise<number> {
  if (episodes.length === 0) return 0;
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ALERT_EVAL_LOCK]);
    return record(tx, rule, episodes, opts);
  });
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Evaluation over the event time of a job's records from `source` (bounded by boundSpan), for the
 * rules that can match that source (every source when the span has none; one rule with `opts.ruleId`): every window that holds any of it, and for all but absence
 * rules the windows after it until its last minute has left them (so that an episode in the data
 * also resolves), but none that ends after `nowMs` (its minutes are not over). An absence rule stops
 * at the data's end: silence after the last line of an old file is not news.
 *
 * Rule by rule, a chunk of windows at a time: each chunk's episodes are committed on their own
 * (under the evaluation lock), and the event loop gets a turn between chunks. No transaction spans
 * the evaluation: on PGlite, whose one backend a transaction holds, every API query would wait for
 * it. An episode still firing at a chunk's end is recorded when it resolves, or at the end, so each
 * is recorded and notified once, as it stands. When the span reaches past where live evaluation of
 * a rule stood, live evaluation goes on from the span's state: an episode still firing at its end
 * is resolved by a later tick.
 */
export async function evaluateSpan(
  db: Db, span: { fromMs: number; toMs: number; source?: string | undefined }, nowMs: number, opts: SpanOptions,
): Promise<SpanEvaluation> {
  const bounded = boundSpan(span, nowMs, opts.spanMaxMs);
  const result: SpanEvaluation = { rules: 0, steps: 0, newEpisodes: 0, ...bounded, aborted: false };
  if (bounded.evaluated === null) return result;
  const saves: StateSave[] = [];
  for (const rule of await listRules(db, { enabledOnly: true })) {
    if (opts.ruleId !== undefined && rule.id !== opts.ruleId) continue;
    // A rule for other sources learns nothing from this job: an absence rule would see only their silence.
    if (span.source !== undefined && rule.recordFilter.sources !== undefined && !rule.recordFilter.sources.includes(span.source)) continue;
    result.rules++;
    const { windowMs } = effectiveSettings(rule);
    const firstEndMs = floorTo(bounded.evaluated.fromMs, STEP_MS) + STEP_MS;
    const lastEndMs = Math.min(floorTo(bounded.evaluated.toMs, STEP_MS) + (rule.kind === 'absence' ? 0 : windowMs), floorTo(nowMs, STEP_MS));
    const condition = conditionOf(rule);
    let state = INITIAL_STATE;
    let steps = 0;
    for await (const chunk of stepChunks(dbMinutes(db, rule), rule, firstEndMs, lastEndMs, opts.chunkSteps)) {
      const settled = settledEpisodesOf(chunk, condition, state);
      state = settled.state;
      steps += chunk.length;
      result.steps += chunk.length;
      result.newEpisodes += await recordLocked(db, rule, settled.episodes, opts);
      await nextTurn();
      if (opts.signal?.aborted) return { ...result, aborted: true };
    }
    if (state.episode) result.newEpisodes += await recordLocked(db, rule, [state.episode], opts);
    if (steps) saves.push({ ruleId: rule.id, state, evaluatedToMs: lastEndMs });
  }
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ALERT_EVAL_LOCK]);
    await saveStates(tx, saves, true);
  });
  return result;
}

/**
 * A new rule evaluated over the records already stored (POST /alerts/rules with `evaluate_from`),
 * recorded on the rule (`alert_rules.evaluation`, shown by GET /alerts/rules/{id}) as a job's is on
 * the job (jobEvaluation.ts): pending from the rule's INSERT (createRule), running while the
 * evaluator works, then done or failed, with the event time evaluated and the part left out.
 *
 * It is evaluated as job evaluation would have evaluated it had the records been uploaded after the
 * rule was created: from the first record at or after evaluate_from to the last one stored (capped
 * at now), at most ALERT_SPAN_MAX back from that last record, and the windows after it up to now.
 * So a rule created today over last month's upload finds last month's episodes, not seven empty days.
 * A rule still pending or running when the process stopped or crashed is evaluated again at the next
 * start (unevaluatedRules): episodes are idempotent, so running it twice records nothing twice.
 */
import type { Logger } from 'pino';
import { firstAndLast } from '../analytics/summary.js';
import type { Db } from '../db/db.js';
import { formatDuration } from '../domain/duration.js';
import { MAX_BACKTEST_MS } from './backtest.js';
import { boundSpan, evaluateSpan, type SpanEvaluation, type SpanOptions } from './evaluator.js';
import type { RuleEvaluation } from './rule.js';

const DAY_MS = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

async function setEvaluation(db: Db, ruleId: number, evaluation: RuleEvaluation): Promise<void> {
  await db.query('UPDATE alert_rules SET evaluation = $2::jsonb WHERE id = $1', [ruleId, JSON.stringify(evaluation)]);
}

/**
 * Rules whose evaluation over stored data has not finished, oldest first: pending ones, and with
 * `running` those a stop or a crash left half-way (at start-up: no evaluation runs yet).
 */
export async function unevaluatedRules(db: Db, opts: { running: boolean }): Promise<number[]> {
  const res = await db.query<{ id: number }>(
    `SELECT id FROM alert_rules WHERE evaluation->>'status' IN ('pending'${opts.running ? ", 'running'" : ''}) ORDER BY id`,
  );
  return res.rows.map((r) => Number(r.id));
}

/** What the rule shows of an evaluation: before (running, counts at zero) or after it. */
function evaluationOf(
  status: RuleEvaluation['status'], requestedFrom: string, r: Pick<SpanEvaluation, 'steps' | 'newEpisodes' | 'evaluated' | 'notEvaluated'>, spanMaxMs: number,
): RuleEvaluation {
  const { evaluated, notEvaluated } = r;
  return {
    status,
    requested_from: requestedFrom,
    evaluated_from: evaluated && iso(evaluated.fromMs),
    evaluated_to: evaluated && iso(evaluated.toMs),
    steps: r.steps,
    episodes: r.newEpisodes,
    not_evaluated: notEvaluated && {
      from: iso(notEvaluated.fromMs),
      to: iso(notEvaluated.toMs),
      reason: `older than ALERT_SPAN_MAX (${formatDuration(spanMaxMs)}) before the last record stored; ` +
        `backtest the rule over it (${MAX_BACKTEST_MS / DAY_MS} days at a time)`,
    },
  };
}

/**
 * Evaluates a rule over the records stored since its `evaluate_from` (see the top of this file) and
 * records how it went on the rule. Stopped by `opts.signal`, the rule stays `running`, for the next
 * start to evaluate again. Returns null for a rule that is not there or has no evaluation to run.
 */
export async function evaluateRuleFrom(db: Db, ruleId: number, nowMs: number, opts: SpanOptions, logger: Logger): Promise<SpanEvaluation | null> {
  const res = await db.query<{ evaluation: RuleEvaluation | null }>('SELECT evaluation FROM alert_rules WHERE id = $1', [ruleId]);
  const requestedFrom = res.rows[0]?.evaluation?.requested_from;
  if (requestedFrom === undefined) return null;
  const nothing: SpanEvaluation = { rules: 0, steps: 0, newEpisodes: 0, evaluated: null, notEvaluated: null, aborted: false };
  const fromMs = Date.parse(requestedFrom);
  // Every source's records: the rule's own filter says which of them it counts.
  const stored = fromMs > nowMs ? { first: null, last: null } : await firstAndLast(db, { startMs: fromMs, endMs: nowMs });
  if (!stored.first || !stored.last) {
    await setEvaluation(db, ruleId, evaluationOf('done', requestedFrom, nothing, opts.spanMaxMs));
    return nothing;
  }
  const span = { fromMs: Date.parse(stored.first), toMs: Date.parse(stored.last) };
  const before = { ...nothing, ...boundSpan(span, nowMs, opts.spanMaxMs) };
  if (before.notEvaluated) {
    logger.info(
      { rule_id: ruleId, not_evaluated_from: iso(before.notEvaluated.fromMs), not_evaluated_to: iso(before.notEvaluated.toMs), alert_span_max: formatDuration(opts.spanMaxMs) },
      'evaluate_from of the rule covers only ALERT_SPAN_MAX before the last record stored: the older part is reported on the rule, not evaluated',
    );
  }
  await setEvaluation(db, ruleId, evaluationOf('running', requestedFrom, before, opts.spanMaxMs));
  try {
    const result = await evaluateSpan(db, span, nowMs, { ...opts, ruleId });
    if (!result.aborted) await setEvaluation(db, ruleId, evaluationOf('done', requestedFrom, result, opts.spanMaxMs));
    return result;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    // If the database is away this fails too; the rule then stays running and is evaluated at the next start.
    await setEvaluation(db, ruleId, { ...evaluationOf('failed', requestedFrom, before, opts.spanMaxMs), error }).catch(() => undefined);
    throw err;
  }
}

/**
 * Alert evaluation after an ingest job, recorded on the job (`ingest_jobs.alert_evaluation`, shown
 * by GET /ingest/jobs/{id}): pending from the UPDATE that marks the job succeeded (finishJob), running
 * while the evaluator works, then done or failed, with the event time evaluated and the part left out.
 * A job still pending or running when the process stopped or crashed is evaluated again at the next
 * start (unevaluatedJobs): episodes are idempotent, so running it twice records nothing twice.
 */
import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
import { formatDuration } from '../domain/duration.js';
import type { JobAlertEvaluation } from '../domain/ingestJob.js';
import { MAX_BACKTEST_MS } from './backtest.js';
import { boundSpan, evaluateSpan, type SpanEvaluation, type SpanOptions } from './evaluator.js';

const DAY_MS = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString();

async function setEvaluation(db: Db, jobId: string, evaluation: JobAlertEvaluation): Promise<void> {
  await db.query('UPDATE ingest_jobs SET alert_evaluation = $2::jsonb WHERE id = $1', [jobId, JSON.stringify(evaluation)]);
}

/** Jobs whose evaluation has not finished (pending, or running when the process stopped), in the order they succeeded. */
export async function unevaluatedJobs(db: Db): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `SELECT id FROM ingest_jobs WHERE alert_evaluation->>'status' IN ('pending', 'running') ORDER BY finished_at, id`,
  );
  return res.rows.map((r) => r.id);
}

/** What the job shows of an evaluation: before (running, counts at zero) or after it. */
function evaluationOf(status: JobAlertEvaluation['status'], r: SpanEvaluation, spanMaxMs: number): JobAlertEvaluation {
  const { evaluated, notEvaluated } = r;
  return {
    status,
    evaluated_from: evaluated && iso(evaluated.fromMs),
    evaluated_to: evaluated && iso(evaluated.toMs),
    rules: r.rules,
    steps: r.steps,
    episodes: r.newEpisodes,
    not_evaluated: notEvaluated && {
      from: iso(notEvaluated.fromMs),
      to: iso(notEvaluated.toMs),
      reason: `older than ALERT_SPAN_MAX (${formatDuration(spanMaxMs)}) before the job's last record; ` +
        `backtest the rules over it (${MAX_BACKTEST_MS / DAY_MS} days at a time)`,
    },
  };
}

/**
 * Evaluates the alert rules over a succeeded job's event time (evaluateSpan: at most spanMaxMs back
 * from its last record) and records how it went on the job. Stopped by `opts.signal`, the job stays
 * `running`, for the next start to evaluate again. Returns null for a job that is not there.
 */
export async function evaluateJob(db: Db, jobId: string, nowMs: number, opts: SpanOptions, logger: Logger): Promise<SpanEvaluation | null> {
  const res = await db.query<{ source: string; min_timestamp: string | null; max_timestamp: string | null }>(
    'SELECT source, min_timestamp, max_timestamp FROM ingest_jobs WHERE id = $1', [jobId],
  );
  const job = res.rows[0];
  if (!job) return null;
  const nothing: SpanEvaluation = { rules: 0, steps: 0, newEpisodes: 0, evaluated: null, notEvaluated: null, aborted: false };
  if (!job.min_timestamp || !job.max_timestamp) {
    await setEvaluation(db, jobId, evaluationOf('done', nothing, opts.spanMaxMs));
    return nothing;
  }
  const span = { fromMs: Date.parse(job.min_timestamp), toMs: Date.parse(job.max_timestamp), source: job.source };
  const before = { ...nothing, ...boundSpan(span, nowMs, opts.spanMaxMs) };
  if (before.notEvaluated) {
    logger.info(
      { job_id: jobId, not_evaluated_from: iso(before.notEvaluated.fromMs), not_evaluated_to: iso(before.notEvaluated.toMs), alert_span_max: formatDuration(opts.spanMaxMs) },
      "alert evaluation of the job covers only ALERT_SPAN_MAX before its last record: the older part is reported on the job, not evaluated",
    );
  }
  await setEvaluation(db, jobId, evaluationOf('running', before, opts.spanMaxMs));
  try {
    const result = await evaluateSpan(db, span, nowMs, opts);
    if (!result.aborted) await setEvaluation(db, jobId, evaluationOf('done', result, opts.spanMaxMs));
    return result;
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    // If the database is away this fails too; the job then stays running and is evaluated at the next start.
    await setEvaluation(db, jobId, { ...evaluationOf('failed', before, opts.spanMaxMs), error }).catch(() => undefined);
    throw err;
  }
}

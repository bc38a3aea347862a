import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import { startLoop } from '../domain/backgroundLoop.js';
import { startDeliveries } from './deliveryLoop.js';
import { evaluateLive, type EvaluationResult } from './evaluator.js';
import { evaluateJob, unevaluatedJobs } from './jobEvaluation.js';
import { evaluateRuleFrom, unevaluatedRules } from './ruleEvaluation.js';

/**
 * Runs live evaluation every ALERT_EVAL_INTERVAL, evaluation over each succeeded ingest job's
 * event time, and over the stored data of each new rule created with `evaluate_from` (first those a
 * stop or a crash left unevaluated; then as told, and at each tick those another process created). One evaluation at a time in this
 * process (a queue), and one across processes (the evaluator's advisory lock); a failure is logged
 * and the next run tries again. Notifications go out from a loop of their own, so a slow receiver
 * never holds evaluation up.
 */
export function startAlertEvaluation(
  db: Db,
  config: Pick<Config, 'alertEvalIntervalMs' | 'alertNotifyMaxAgeMs' | 'alertSpanMaxMs' | 'secretKey' | 'notifyDenyPrivate' | 'notifyAllowedHosts'>,
  logger: Logger,
): { jobSucceeded(jobId: string): void; ruleEvaluationQueued(): void; stop(): Promise<void> } {
  const shutdown = new AbortController();
  const opts = { notifyMaxAgeMs: config.alertNotifyMaxAgeMs };
  // Shutdown stops a live tick between two rules' reads (the next start catches up) and a job's evaluation
  // between two chunks (the job stays pending and is evaluated again at the next start).
  const jobOpts = { ...opts, spanMaxMs: config.alertSpanMaxMs, signal: shutdown.signal };
  if (!config.secretKey) logger.warn('SECRET_KEY is not set: webhook notifications go out unsigned');
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;
  const enqueue = (what: string, run: () => Promise<EvaluationResult | null>): void => {
    queue = queue.then(async () => {
      if (stopped) return;
      try {
        const r = await run();
        if (r === null) logger.debug({ what }, 'another process is evaluating alert rules');
        else if (r.newEpisodes) logger.info({ what, ...r }, 'alert episodes recorded');
      } catch (err) {
        if (shutdown.signal.aborted && err === shutdown.signal.reason) logger.info({ what }, 'live alert evaluation stopped by shutdown; the next start catches up');
        else logger.warn({ err, what }, 'alert evaluation failed; the next run tries again');
      }
    });
  };
  // Rules queued here and not yet evaluated: a tick or a second nudge before their turn does not queue them twice.
  const queuedRules = new Set<number>();
  const evaluateRule = (ruleId: number): void => {
    if (queuedRules.has(ruleId)) return;
    queuedRules.add(ruleId);
    enqueue(`rule ${ruleId}`, async () => {
      queuedRules.delete(ruleId);
      return evaluateRuleFrom(db, ruleId, Date.now(), jobOpts, logger);
    });
  };
  // Running ones only at start: later, a rule running is being evaluated (here, or by another process).
  // One look queued at a time: ticks behind a long evaluation do not pile looks up.
  let looking = false;
  const queueRules = (running: boolean): void => {
    if (looking) return;
    looking = true;
    enqueue('rules to evaluate from stored data', async () => {
      looking = false;
      for (const ruleId of await unevaluatedRules(db, { running })) evaluateRule(ruleId);
      return { rules: 0, steps: 0, newEpisodes: 0 };
    });
  };
  // A tick only queues (it never fails): the queue runs the work, and skips what shutdown left in it.
  let ticking = false;
  const ticks = startLoop({
    everyMs: config.alertEvalIntervalMs,
    run: () => {
      queueRules(false);
      if (ticking) return;
      ticking = true;
      enqueue('live', async () => {
        try {
          // A live tick cut short by shutdown loses nothing: the next start's tick catches up.
          return await evaluateLive(db, Date.now(), { ...opts, signal: shutdown.signal });
        } finally {
          ticking = false;
        }
      });
    },
    onError: (err) => logger.warn({ err }, 'queueing alert evaluation failed; the next tick tries again'),
  });
  const deliveries = startDeliveries(db, {
    secretKey: config.secretKey, destinations: { denyPrivate: config.notifyDenyPrivate, allowed: config.notifyAllowedHosts },
  }, config.alertEvalIntervalMs, logger);
  const jobSucceeded = (jobId: string): void => enqueue(`job ${jobId}`, () => evaluateJob(db, jobId, Date.now(), jobOpts, logger));
  enqueue('unevaluated jobs', async () => {
    for (const jobId of await unevaluatedJobs(db)) jobSucceeded(jobId);
    return { rules: 0, steps: 0, newEpisodes: 0 };
  });
  queueRules(true);
  return {
    jobSucceeded,
    ruleEvaluationQueued: () => queueRules(false),
    async stop() {
      await ticks.stop();
      // Queued evaluations are skipped; a running one stops between two steps, and the deliveries at their next step.
      stopped = true;
      shutdown.abort();
      await Promise.all([queue, deliveries.stop()]);
    },
  };
}

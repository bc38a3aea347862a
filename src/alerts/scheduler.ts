import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import { evaluateLive, evaluateSpan, type EvaluationResult } from './evaluator.js';
import { refreshAlertmanager, sendDueDeliveries } from './notifications.js';

/** How often due notifications are looked for. */
const DELIVERY_TICK_MS = 2_000;

/**
 * Runs live evaluation every ALERT_EVAL_INTERVAL, and evaluation over each succeeded ingest job's
 * event time. One evaluation at a time in this process (a queue), and one across processes (the
 * evaluator's advisory lock); a failure is logged and the next run tries again. Notifications go
 * out from a loop of their own, so a slow receiver never holds evaluation up.
 */
export function startAlertEvaluation(
  db: Db, config: Pick<Config, 'alertEvalIntervalMs' | 'alertNotifyMaxAgeMs' | 'secretKey'>, logger: Logger,
): { jobSucceeded(jobId: string): void; stop(): Promise<void> } {
  const shutdown = new AbortController();
  const opts = { notifyMaxAgeMs: config.alertNotifyMaxAgeMs };
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
  let ticking = false;
  const timer = setInterval(() => {
    if (ticking) return;
    ticking = true;
    enqueue('live', async () => {
      try {
        // A live tick cut short by shutdown loses nothing: the next start's tick catches up. A job's
        // span is evaluated once, so it is not cut short (a queued one is still skipped, as before).
        const result = await evaluateLive(db, Date.now(), { ...opts, signal: shutdown.signal });
        if (!stopped) await refreshAlertmanager(db);
        return result;
      } finally {
        ticking = false;
      }
    });
  }, config.alertEvalIntervalMs);
  let sending: Promise<unknown> | null = null;
  const deliveries = setInterval(() => {
    if (sending) return;
    sending = sendDueDeliveries(db, config.secretKey, undefined, shutdown.signal)
      .catch((err: unknown) => logger.warn({ err }, 'sending alert notifications failed; retrying'))
      .finally(() => (sending = null));
  }, DELIVERY_TICK_MS);
  return {
    jobSucceeded(jobId) {
      enqueue(`job ${jobId}`, async () => {
        const res = await db.query<{ source: string; min_timestamp: string | null; max_timestamp: string | null }>(
          'SELECT source, min_timestamp, max_timestamp FROM ingest_jobs WHERE id = $1', [jobId],
        );
        const job = res.rows[0];
        if (!job?.min_timestamp || !job.max_timestamp) return { rules: 0, steps: 0, newEpisodes: 0 };
        const span = { fromMs: Date.parse(job.min_timestamp), toMs: Date.parse(job.max_timestamp), source: job.source };
        return evaluateSpan(db, span, Date.now(), opts);
      });
    },
    async stop() {
      clearInterval(timer);
      clearInterval(deliveries);
      // Queued evaluations are skipped; a live one and the deliveries stop at their next step.
      stopped = true;
      shutdown.abort();
      await Promise.all([queue, sending]);
    },
  };
}

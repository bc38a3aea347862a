import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
import { evaluateLive, evaluateSpan, type EvaluationResult } from './evaluator.js';

/**
 * Runs live evaluation every `intervalMs`, and evaluation over each succeeded ingest job's event
 * time. One evaluation at a time in this process (a queue), and one across processes (the
 * evaluator's advisory lock); a failure is logged and the next run tries again.
 */
export function startAlertEvaluation(db: Db, intervalMs: number, logger: Logger): { jobSucceeded(jobId: string): void; stop(): Promise<void> } {
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
        logger.warn({ err, what }, 'alert evaluation failed; the next run tries again');
      }
    });
  };
  let ticking = false;
  const timer = setInterval(() => {
    if (ticking) return;
    ticking = true;
    enqueue('live', () => evaluateLive(db, Date.now()).finally(() => (ticking = false)));
  }, intervalMs);
  return {
    jobSucceeded(jobId) {
      enqueue(`job ${jobId}`, async () => {
        const res = await db.query<{ min_timestamp: string | null; max_timestamp: string | null }>(
          'SELECT min_timestamp, max_timestamp FROM ingest_jobs WHERE id = $1', [jobId],
        );
        const job = res.rows[0];
        if (!job?.min_timestamp || !job.max_timestamp) return { rules: 0, steps: 0, newEpisodes: 0 };
        return evaluateSpan(db, Date.parse(job.min_timestamp), Date.parse(job.max_timestamp));
      });
    },
    async stop() {
      clearInterval(timer);
      stopped = true;
      await queue;
    },
  };
}

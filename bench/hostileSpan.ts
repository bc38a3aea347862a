/**
 * Issue 13's hostile-span upload, measured end to end on the built server: the file of
 * bench/hostileSpanLog.ts (a line a day since 2000, plus lines dated 1970 and 2099) uploaded with a
 * count, a 7-day-window latency and an anomaly rule enabled, while /healthz is polled without a pause.
 * Reports the slowest /healthz answer from the upload until the job's alert evaluation ended, the
 * partitions left afterwards and the job's counts. The 2 s target is for /healthz: the event loop
 * must never be held (PGlite runs in it) by one upload, however wide its span.
 */
import path from 'node:path';
import type { DbKind } from '../src/db/db.js';
import { createFreshStore } from './backends.js';
import { getJob, type JobView } from './ingestClient.js';
import { hostileSpanLog } from './hostileSpanLog.js';
import { BENCH_HEADERS, startServer } from './serverProcess.js';
import { round, sleep, summarize, type Summary } from './stats.js';

export interface HostileSpanFigure {
  kind: DbKind;
  lines: number;
  ingested: number;
  rejected: number;
  skipped: number;
  /** Upload accepted → alert evaluation of the job ended, seconds. */
  jobS: number;
  alertEvaluation: JobView['alert_evaluation'];
  /** Every /healthz answer's time, ms, from the upload until the evaluation ended. */
  healthz: Summary | null;
  /** /healthz answers that were not a 200 (or no answer): each one a failure of the run. */
  healthzFailures: string[];
  partitions: number;
}

/** The three rules the issue names: a count, a 7-day-window latency and an anomaly rule. */
export const HOSTILE_SPAN_RULES = [
  { name: 'hostile span: 500s', kind: 'count', filter: { status_code: '500' }, operator: '>', threshold: 5, window: '5m' },
  { name: 'hostile span: slow week', kind: 'latency', filter: {}, operator: '>', threshold: 500, window: '7d', percentile: 'p95' },
  { name: 'hostile span: 5xx spike', kind: 'anomaly', filter: { status_code: '5xx' }, window: '5m' },
];

async function post(url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { ...BENCH_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

/**
 * /healthz asked back to back (20 ms apart) until stopped: each answer's time in ms (a hung request
 * counts until it answers or 120 s), and what was not a 200.
 */
export function pollHealthz(url: string): { stop(): Promise<{ times: number[]; failures: string[] }> } {
  const times: number[] = [];
  const failures: string[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(120_000) });
        await res.arrayBuffer();
        if (res.status !== 200) failures.push(`status ${res.status}`);
      } catch (err) {
        failures.push(String(err));
      }
      times.push(performance.now() - t0);
      await sleep(20);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return { times, failures };
    },
  };
}

export async function measureHostileSpan(kind: DbKind, opts: {
  repoRoot: string; scratchRoot: string; adminUrl: string; outDir: string; runStamp: string; log: (m: string) => void; timeoutMs?: number;
}): Promise<HostileSpanFigure> {
  const store = await createFreshStore(kind, { scratchRoot: opts.scratchRoot, adminUrl: opts.adminUrl });
  try {
    const server = await startServer({
      repoRoot: opts.repoRoot, cwd: store.scratchDir, env: { ...store.env, LOG_LEVEL: 'info' },
      logFile: path.join(opts.outDir, `server-hostile-span-${kind}-${opts.runStamp}.log`),
    });
    let figure: Omit<HostileSpanFigure, 'partitions'>;
    try {
      for (const rule of HOSTILE_SPAN_RULES) await post(`${server.url}/alerts/rules`, rule);
      const log = hostileSpanLog();
      const poller = pollHealthz(server.url);
      const t0 = performance.now();
      const up = (await post(`${server.url}/logs/upload?source=hostile-span`, log.text, { 'content-type': 'application/octet-stream' })) as { job_id: string };
      const deadline = Date.now() + (opts.timeoutMs ?? 1_800_000);
      let job: JobView;
      for (;;) {
        job = await getJob(server.url, up.job_id);
        if (job.status === 'failed') throw new Error(`the hostile-span job failed: ${job.error ?? '?'}`);
        const evaluation = job.alert_evaluation?.status;
        if (job.status === 'succeeded' && (evaluation === 'done' || evaluation === 'failed')) break;
        if (Date.now() > deadline) throw new Error(`hostile-span job still ${job.status} (alert evaluation ${evaluation ?? 'none'})`);
        await sleep(200);
      }
      const jobS = round((performance.now() - t0) / 1000, 1);
      const { times: samples, failures } = await poller.stop();
      figure = {
        kind, lines: log.lines, ingested: job.lines_ingested, rejected: job.lines_rejected, skipped: job.lines_skipped,
        jobS, alertEvaluation: job.alert_evaluation, healthz: summarize(samples), healthzFailures: failures,
      };
      opts.log(`hostile span, ${kind}: ${jobS} s, /healthz max ${figure.healthz?.max ?? '?'} ms over ${samples.length} polls`);
    } finally {
      await server.stop();
    }
    // After the server: PGlite opens its directory one process at a time.
    const db = await store.openDirect();
    try {
      const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM log_partitions');
      return { ...figure, partitions: n.rows[0]!.n };
    } finally {
      await db.close();
    }
  } finally {
    await store.dispose();
  }
}

/** The client side of ingestion: stream a file to POST /logs/upload, follow the job, watch /metrics. */
import fs from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { IngestJob } from '../src/ingest/jobs.js';
import { BENCH_HEADERS } from './serverProcess.js';
import { sleep } from './stats.js';

/** GET /ingest/jobs/{id}, as the service defines it. */
export type JobView = IngestJob;

export interface Upload {
  jobId: string;
  /** Date.now() when the request started and when the 202 arrived (same clock as the server's timestamps). */
  startedAtMs: number;
  acceptedAtMs: number;
}

/** Streams the file as the raw body (never held in memory) and waits for the 202. */
export async function uploadFile(url: string, file: string, source: string): Promise<Upload> {
  const size = fs.statSync(file).size;
  const target = new URL(`/logs/upload?source=${encodeURIComponent(source)}&force=true`, url);
  const startedAtMs = Date.now();
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(target, {
      method: 'POST',
      headers: { ...BENCH_HEADERS, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), req).catch(reject);
  });
  const { status, body } = await answer;
  const acceptedAtMs = Date.now();
  if (status !== 202) throw new Error(`POST /logs/upload answered ${status}: ${body.slice(0, 500)}`);
  const parsed = JSON.parse(body) as { job_id: string };
  return { jobId: parsed.job_id, startedAtMs, acceptedAtMs };
}

export async function getJob(url: string, jobId: string): Promise<JobView> {
  const res = await fetch(`${url}/ingest/jobs/${jobId}`, { headers: BENCH_HEADERS });
  if (!res.ok) throw new Error(`GET /ingest/jobs/${jobId} answered ${res.status}`);
  return (await res.json()) as JobView;
}

/** One poll of the job: Date.now() and the lines committed so far. */
export interface ProgressPoint {
  atMs: number;
  linesProcessed: number;
}

/** Polls the job until it succeeds (resolves) or fails (throws), recording its progress. */
export async function waitForJob(
  url: string, jobId: string, timeoutMs: number, pollMs = 250,
): Promise<{ job: JobView; seenDoneAtMs: number; progress: ProgressPoint[] }> {
  const deadline = Date.now() + timeoutMs;
  const progress: ProgressPoint[] = [];
  for (;;) {
    const job = await getJob(url, jobId);
    progress.push({ atMs: Date.now(), linesProcessed: job.lines_processed });
    if (job.status === 'succeeded') return { job, seenDoneAtMs: Date.now(), progress };
    if (job.status === 'failed') throw new Error(`ingest job ${jobId} failed: ${job.error ?? 'no error recorded'}`);
    if (Date.now() > deadline) throw new Error(`ingest job ${jobId} still ${job.status} after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

/**
 * The longest time the job's committed line count stood still between its first and last commit:
 * a batch waiting behind something else (an index build, a long query on PGlite's single session).
 */
export function longestStallMs(progress: readonly ProgressPoint[]): number {
  let longest = 0;
  let since: number | null = null;
  let last = -1;
  for (const p of progress) {
    if (p.linesProcessed === last) continue;
    if (since !== null && last > 0) longest = Math.max(longest, p.atMs - since);
    since = p.atMs;
    last = p.linesProcessed;
  }
  return longest;
}

/** The value of a gauge without labels in Prometheus text, or null when absent. */
export function gaugeValue(metricsText: string, name: string): number | null {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(metricsText);
  return m ? Number(m[1]) : null;
}

/**
 * Waits until every day partition has its trigram index (loginsights_search_partitions_unindexed 0).
 * Returns when that was first seen, Date.now() clock.
 */
export async function waitForSearchIndexes(url: string, timeoutMs: number, pollMs = 250): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/metrics`, { headers: BENCH_HEADERS });
    const text = await res.text();
    const unindexed = gaugeValue(text, 'loginsights_search_partitions_unindexed');
    if (unindexed === null) throw new Error('GET /metrics has no loginsights_search_partitions_unindexed gauge');
    if (unindexed === 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`${unindexed} partitions still unindexed after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

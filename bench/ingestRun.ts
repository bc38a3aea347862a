/**
 * One ingestion through the real server: spawn it on a fresh store, stream the file, follow the job
 * (optionally asking GET /logs questions meanwhile), wait for the background search indexes
 * (optionally), ask the questions again, stop it.
 */
import type { FreshStore } from './backends.js';
import { CpuTracker, type CpuUse } from './cpu.js';
import type { BenchFile } from './dataset.js';
import { longestStallMs, uploadFile, waitForJob, waitForSearchIndexes, type JobView, type ProgressPoint } from './ingestClient.js';
import { QueryLoop, timeApi, type BenchQuery, type QueryName, type TimedQuery } from './queries.js';
import { readProcMemoryMb, startServer } from './serverProcess.js';
import { perSecond, round } from './stats.js';

export interface IngestRunOptions {
  repoRoot: string;
  store: FreshStore;
  file: BenchFile;
  logFile: string;
  /** Server settings on top of the store's (SEARCH_INDEX_IDLE_MS, MAX_UPLOAD_BYTES, …). */
  serverEnv: Record<string, string>;
  /** Runs once the job succeeded (and the indexes are built, when waited for), before the server stops. */
  afterIngest?: (serverUrl: string) => Promise<void>;
  /** When set: after the job, wait (at most this long) until every partition has its search index. */
  indexTimeoutMs?: number;
  /** Ask these during ingest, with a pause between queries, and `runs` times once the indexes are built. */
  queries?: { list: BenchQuery[]; runs: number; duringPauseMs: number };
  jobTimeoutMs: number;
}

export interface IngestFigures {
  bytes: number;
  lines: number;
  linesIngested: number;
  linesRejected: number;
  linesSkipped: number;
  /** Request start → 202 (body spooled, hashed and fsynced). */
  uploadAcceptedS: number;
  /** Request start → job finished_at: what a user waits for, the upload included. */
  endToEndS: number;
  /** 202 → job finished_at: the "upload accepted → job succeeded". */
  acceptedToDoneS: number;
  /** Lines per second from the 202 to the job's success (the figure the target is about). */
  linesPerSec: number | null;
  /** Lines per second from the upload request's start, the transfer included. */
  linesPerSecFromUploadStart: number | null;
  /** Upload start → first batch committed (spooling, job claim, worker start, first batch parsed and written). */
  firstCommitS: number | null;
  /** Lines/s between the first and the last commit seen: the pipeline once it runs. */
  steadyLinesPerSec: number | null;
  /** Longest time no batch was committed, between the first and the last commit. */
  longestStallS: number;
  /** [seconds since the upload started, lines committed], at each change seen by the poller. */
  progress: [number, number][];
  /** CPU seconds used from the upload request to the job's success: server, PostgreSQL, the rest of the machine. */
  cpu: CpuUse;
  /** Job succeeded → no partition left without its trigram index. */
  searchIndexingS: number | null;
  /** RSS of the ready, idle server before the upload. */
  readyRssMb: number | null;
  peakRssMb: number;
  /** The kernel's high-water mark of the server's resident set (catches peaks between samples). */
  hwmRssMb: number;
  rssSamples: number;
  serverStopS: number;
  job: JobView;
}

export interface ServerQueryFigures {
  during: Record<QueryName, number[]>;
  duringErrors: string[];
  after: Partial<Record<QueryName, TimedQuery>>;
}

function serverTimeMs(iso: string | null, fallbackMs: number): number {
  const t = iso ? Date.parse(iso) : NaN;
  // finished_at comes from the database clock: the same host, so the same clock as Date.now().
  return Number.isFinite(t) && t <= fallbackMs + 1000 ? t : fallbackMs;
}

function progressChanges(points: readonly ProgressPoint[], t0: number): [number, number][] {
  return points
    .filter((p, i) => i === 0 || p.linesProcessed !== points[i - 1]!.linesProcessed)
    .map((p) => [round((p.atMs - t0) / 1000, 2), p.linesProcessed]);
}

function steadyState(points: readonly ProgressPoint[], t0: number): { firstCommitS: number | null; steadyLinesPerSec: number | null } {
  const first = points.find((p) => p.linesProcessed > 0);
  const last = points[points.length - 1];
  if (!first || !last) return { firstCommitS: null, steadyLinesPerSec: null };
  return {
    firstCommitS: round((first.atMs - t0) / 1000, 2),
    steadyLinesPerSec: perSecond(last.linesProcessed - first.linesProcessed, (last.atMs - first.atMs) / 1000),
  };
}

export async function ingestThroughServer(o: IngestRunOptions): Promise<{ ingest: IngestFigures; queries: ServerQueryFigures }> {
  const server = await startServer({
    repoRoot: o.repoRoot,
    cwd: o.store.scratchDir,
    env: { ...o.store.env, ...o.serverEnv },
    logFile: o.logFile,
  });
  const queries: ServerQueryFigures = { during: { range_5xx: [], rare_q: [] }, duringErrors: [], after: {} };
  let stopped = false;
  // The RSS of the idle server once it is ready, before the upload: what ingestion adds comes on top.
  const readyRssMb = readProcMemoryMb(server.pid)?.rssMb ?? null;
  try {
    const cpuTracker = new CpuTracker(server.pid, o.store.databaseName);
    const upload = await uploadFile(server.url, o.file.path, `bench-${o.store.kind}`);
    const loop = o.queries ? new QueryLoop(server.url, o.queries.list, o.queries.duringPauseMs) : null;
    let done;
    try {
      done = await waitForJob(server.url, upload.jobId, o.jobTimeoutMs);
    } finally {
      await loop?.stop();
    }
    const cpu = cpuTracker.stop();
    if (loop) {
      queries.during = loop.samplesMs;
      queries.duringErrors = loop.errors;
    }
    const finishedAtMs = serverTimeMs(done.job.finished_at, done.seenDoneAtMs);
    let searchIndexingS: number | null = null;
    if (o.indexTimeoutMs !== undefined) {
      const indexedAtMs = await waitForSearchIndexes(server.url, o.indexTimeoutMs);
      searchIndexingS = round((indexedAtMs - finishedAtMs) / 1000, 1);
      const ask = o.queries;
      if (ask) for (const q of ask.list) queries.after[q.name] = await timeApi(server.url, q, ask.runs);
    }
    await o.afterIngest?.(server.url);
    server.rss.sample();
    const { peakMb, hwmMb, samples } = server.rss;
    const stop = await server.stop();
    stopped = true;
    if (stop.exitCode !== 0) throw new Error(`server exited with code ${stop.exitCode} on SIGTERM (log: ${server.logFile})`);
    const endToEndS = (finishedAtMs - upload.startedAtMs) / 1000;
    const acceptedToDoneS = (finishedAtMs - upload.acceptedAtMs) / 1000;
    const job = done.job;
    return {
      ingest: {
        bytes: job.bytes_total,
        lines: job.lines_processed,
        linesIngested: job.lines_ingested,
        linesRejected: job.lines_rejected,
        linesSkipped: job.lines_skipped,
        uploadAcceptedS: round((upload.acceptedAtMs - upload.startedAtMs) / 1000, 2),
        endToEndS: round(endToEndS, 2),
        acceptedToDoneS: round(acceptedToDoneS, 2),
        linesPerSec: perSecond(job.lines_processed, acceptedToDoneS),
        linesPerSecFromUploadStart: perSecond(job.lines_processed, endToEndS),
        ...steadyState(done.progress, upload.startedAtMs),
        longestStallS: round(longestStallMs(done.progress) / 1000, 1),
        progress: progressChanges(done.progress, upload.startedAtMs),
        cpu,
        searchIndexingS,
        readyRssMb: readyRssMb === null ? null : round(readyRssMb, 0),
        peakRssMb: round(peakMb, 0),
        hwmRssMb: round(hwmMb, 0),
        rssSamples: samples,
        serverStopS: round(stop.stopMs / 1000, 1),
        job,
      },
      queries,
    };
  } finally {
    if (!stopped) await server.stop();
  }
}

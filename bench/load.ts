/**
 * The load section (`npm run bench -- --load`): GET /logs, /analytics/summary and /analytics/traffic
 * under 64 connections for 30 s (autocannon) while a 1M-line upload is ingested, on each backend,
 * next to the same file's ingest rate with nothing else running, measured on the same server.
 *
 * One server per backend, three uploads of the same file: a preload (so the questions have data), the
 * idle ingest, the ingest under load. The idle and the loaded ingests both go into partitions already
 * holding rows, each after the rollup compaction of the previous one, so their ratio measures the
 * load and nothing else.
 */
import autocannon from 'autocannon';
import path from 'node:path';
import type { DbKind } from '../src/db/db.js';
import { waitForCompaction } from './analytics.js';
import { createFreshStore, type FreshStore } from './backends.js';
import type { Check } from './backendRun.js';
import { CpuTracker, type CpuUse } from './cpu.js';
import type { BenchFile } from './dataset.js';
import { longestStallMs, uploadFile, waitForJob, waitForSearchIndexes, type Upload } from './ingestClient.js';
import { formatTable } from './report.js';
import { BENCH_HEADERS, startServer, type ServerHandle } from './serverProcess.js';
import { perSecond, ratio, round, sleep } from './stats.js';

export const LOAD_TARGETS = { p99Ms: 100, ingestRatio: 0.7 } as const;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Autocannon's default; a request still unanswered after it counts as a timeout (and an error). */
const REQUEST_TIMEOUT_S = 10;
/**
 * PGlite's store cannot be opened beside the running server, so rollup compaction cannot be watched
 * there: wait for its quiet period (10 s) and two ticks (5 s each) instead.
 */
const PGLITE_SETTLE_MS = 20_000;
/**
 * SEARCH_INDEX_IDLE_MS unless --search-index-idle-ms is given: trigram builds held off. A build takes a
 * core for about a minute per day of 1M rows (on PGlite it holds the only backend), and inserts into an
 * indexed partition pay GIN maintenance: either would make the idle and the loaded ingest different
 * work. The load asks no `q`, so it needs no trigram index.
 */
const HOLD_OFF_INDEX_BUILDS_MS = 7 * DAY_MS;

export interface LoadOptions {
  repoRoot: string;
  outDir: string;
  scratchRoot: string;
  adminUrl: string;
  runStamp: string;
  file: BenchFile;
  seconds: number;
  connections: number;
  /** The server's SEARCH_INDEX_IDLE_MS; null holds the trigram builds off. */
  searchIndexIdleMs: number | null;
  jobTimeoutMs: number;
  indexTimeoutMs: number;
  log: (msg: string) => void;
}

/** One endpoint's share of the load: its connections cycle through these paths. */
export interface EndpointRequests {
  endpoint: string;
  paths: string[];
}

/** One ingest of the file, timed as the issue defines it: upload accepted (202) → job succeeded. */
export interface IngestTiming {
  lines: number;
  linesIngested: number;
  linesRejected: number;
  uploadAcceptedS: number;
  acceptedToDoneS: number;
  linesPerSec: number | null;
  longestStallS: number;
}

export interface UnderLoadIngest extends IngestTiming {
  /** Whether the job succeeded before the load stopped; if not, the rate is taken at the window's end. */
  doneWithinLoad: boolean;
  /** Lines committed under load, and their rate from the 202 (the load starts then). */
  linesUnderLoad: number;
  linesPerSecUnderLoad: number | null;
  /** Seconds of the load window during which the ingest was running. */
  overlapS: number;
}

export interface EndpointLoad {
  endpoint: string;
  connections: number;
  paths: string[];
  requests: number;
  requestsPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  non2xx: number;
  /** Connection errors, timeouts included (autocannon's definition). */
  errors: number;
  timeouts: number;
  /** Requests sent and neither answered nor failed when the load stopped (cut off, not counted above). */
  unansweredAtStop: number;
  statusCodes: Record<string, number>;
}

export interface LoadBackendResult {
  kind: DbKind;
  preload: IngestTiming;
  idle: IngestTiming;
  underLoad: UnderLoadIngest;
  /** Lines/s under load ÷ lines/s idle. */
  ingestRatio: number | null;
  endpoints: EndpointLoad[];
  /** CPU seconds over the load window. */
  cpu: CpuUse;
  peakRssMb: number;
  checks: Check[];
  serverLog: string;
}

export interface LoadTarget {
  status: 'PASS' | 'FAIL';
  name: string;
  target: string;
  value: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const floorTo = (ms: number, unit: number): number => Math.floor(ms / unit) * unit;
const query = (p: string, params: Record<string, string>): string => `${p}?${new URLSearchParams(params).toString()}`;

/**
 * What a dashboard user asks: pages of errors or 404s in one to six hours spread over the file, the
 * summary and the traffic chart of all the data and of the middle day.
 */
export function loadRequests(file: BenchFile): EndpointRequests[] {
  const span = file.lastTimeMs - file.firstTimeMs;
  const at = (fraction: number): number => floorTo(file.firstTimeMs + span * fraction, HOUR_MS);
  const window = (fraction: number, hours: number): Record<string, string> =>
    ({ start_date: iso(at(fraction)), end_date: iso(at(fraction) + hours * HOUR_MS) });
  const dayStart = floorTo(file.firstTimeMs + span / 2, DAY_MS);
  const day = { start_date: iso(dayStart), end_date: iso(dayStart + DAY_MS) };
  return [
    {
      endpoint: 'GET /logs',
      paths: [
        ...[0.1, 0.35, 0.6, 0.85].map((f) => query('/logs', { limit: '50', status_code: '5xx', ...window(f, 1) })),
        ...[0.2, 0.7].map((f) => query('/logs', { limit: '50', level: 'ERROR', ...window(f, 6) })),
        ...[0.45, 0.95].map((f) => query('/logs', { limit: '50', status_code: '404', ...window(f, 1) })),
      ],
    },
    { endpoint: 'GET /analytics/summary', paths: ['/analytics/summary', query('/analytics/summary', day)] },
    {
      endpoint: 'GET /analytics/traffic',
      paths: ['/analytics/traffic', query('/analytics/traffic', day), query('/analytics/traffic', { group_by: 'status_class' })],
    },
  ];
}

/** `total` connections over `groups` endpoints as evenly as possible, the first ones taking the remainder. */
export function splitConnections(total: number, groups: number): number[] {
  return Array.from({ length: groups }, (_, i) => Math.floor(total / groups) + (i < total % groups ? 1 : 0));
}

/** Every path answers 200 before the load starts: a typo in a query string would otherwise be 30 s of 400s. */
async function checkPaths(url: string, groups: EndpointRequests[]): Promise<void> {
  for (const p of groups.flatMap((g) => g.paths)) {
    const res = await fetch(`${url}${p}`, { headers: BENCH_HEADERS });
    const body = await res.text();
    if (!res.ok) throw new Error(`${p} answered ${res.status}: ${body.slice(0, 300)}`);
  }
}

/** One autocannon instance per endpoint, all at once, so each endpoint gets its own latency histogram. */
async function runLoad(url: string, groups: EndpointRequests[], connections: number, seconds: number): Promise<EndpointLoad[]> {
  const split = splitConnections(connections, groups.length);
  const results = await Promise.all(groups.map((g, i) => autocannon({
    url, connections: split[i]!, duration: seconds, timeout: REQUEST_TIMEOUT_S, headers: { ...BENCH_HEADERS },
    requests: g.paths.map((p) => ({ method: 'GET', path: p })),
  })));
  return results.map((r, i) => ({
    endpoint: groups[i]!.endpoint, connections: split[i]!, paths: groups[i]!.paths,
    requests: r.requests.total, requestsPerSec: round(r.requests.average, 1),
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, mean: round(r.latency.mean), max: r.latency.max },
    non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, unansweredAtStop: Math.max(0, r.requests.sent - r.requests.total - r.errors),
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0])),
  }));
}

type JobDone = Awaited<ReturnType<typeof waitForJob>>;

/** The job's finished_at (the database clock, on this host), or when the poller saw it done. */
function finishedAtMs(done: JobDone): number {
  const t = done.job.finished_at ? Date.parse(done.job.finished_at) : NaN;
  return Number.isFinite(t) && t <= done.seenDoneAtMs + 1000 ? t : done.seenDoneAtMs;
}

function ingestTiming(upload: Upload, done: JobDone): IngestTiming {
  const job = done.job;
  const acceptedToDoneS = (finishedAtMs(done) - upload.acceptedAtMs) / 1000;
  return {
    lines: job.lines_processed, linesIngested: job.lines_ingested, linesRejected: job.lines_rejected,
    uploadAcceptedS: round((upload.acceptedAtMs - upload.startedAtMs) / 1000, 2), acceptedToDoneS: round(acceptedToDoneS, 2),
    linesPerSec: perSecond(job.lines_processed, acceptedToDoneS), longestStallS: round(longestStallMs(done.progress) / 1000, 1),
  };
}

async function ingestIdle(server: ServerHandle, o: LoadOptions, source: string): Promise<IngestTiming> {
  const upload = await uploadFile(server.url, o.file.path, source);
  return ingestTiming(upload, await waitForJob(server.url, upload.jobId, o.jobTimeoutMs));
}

/** Waits until the background work an ingest leaves behind is done: trigram index builds, rollup compaction. */
async function settle(server: ServerHandle, store: FreshStore, o: LoadOptions): Promise<void> {
  if (o.searchIndexIdleMs !== null) await waitForSearchIndexes(server.url, o.indexTimeoutMs);
  if (store.kind === 'pglite') return sleep(PGLITE_SETTLE_MS);
  const db = await store.openDirect();
  try {
    await waitForCompaction(db, 600_000);
  } finally {
    await db.close();
  }
}

/** The load starts at the 202, when the job is queued, so that it covers the ingest from its first batch. */
async function ingestUnderLoad(
  server: ServerHandle, store: FreshStore, o: LoadOptions, groups: EndpointRequests[],
): Promise<{ endpoints: EndpointLoad[]; underLoad: UnderLoadIngest; cpu: CpuUse }> {
  const upload = await uploadFile(server.url, o.file.path, 'bench-load');
  const cpuTracker = new CpuTracker(server.pid, store.databaseName);
  const loadStartMs = Date.now();
  let loadEndMs = Infinity;
  let cpu: CpuUse | undefined;
  const [endpoints, done] = await Promise.all([
    runLoad(server.url, groups, o.connections, o.seconds).finally(() => {
      loadEndMs = Date.now();
      cpu = cpuTracker.stop();
    }),
    waitForJob(server.url, upload.jobId, o.jobTimeoutMs),
  ]);
  const finished = finishedAtMs(done);
  const doneWithinLoad = finished <= loadEndMs;
  const lastInLoad = done.progress.filter((p) => p.atMs <= loadEndMs).at(-1);
  const linesUnderLoad = doneWithinLoad ? done.job.lines_processed : (lastInLoad?.linesProcessed ?? 0);
  const underLoadS = ((doneWithinLoad ? finished : (lastInLoad?.atMs ?? loadEndMs)) - upload.acceptedAtMs) / 1000;
  const underLoad: UnderLoadIngest = {
    ...ingestTiming(upload, done), doneWithinLoad, linesUnderLoad, linesPerSecUnderLoad: perSecond(linesUnderLoad, underLoadS),
    overlapS: round((Math.min(finished, loadEndMs) - loadStartMs) / 1000, 1),
  };
  return { endpoints, underLoad, cpu: cpu! };
}

export function loadServerEnv(searchIndexIdleMs: number | null): Record<string, string> {
  return { LOG_LEVEL: 'info', SEARCH_INDEX_IDLE_MS: String(searchIndexIdleMs ?? HOLD_OFF_INDEX_BUILDS_MS) };
}

export async function runLoadBackend(kind: DbKind, o: LoadOptions): Promise<LoadBackendResult> {
  const store = await createFreshStore(kind, { scratchRoot: o.scratchRoot, adminUrl: o.adminUrl });
  const serverLog = path.join(o.outDir, `server-load-${kind}-${o.runStamp}.log`);
  try {
    const server = await startServer({ repoRoot: o.repoRoot, cwd: store.scratchDir, env: { ...store.env, ...loadServerEnv(o.searchIndexIdleMs) }, logFile: serverLog });
    let stopped = false;
    try {
      o.log(`load, ${kind}: preloading ${o.file.lines} lines, then waiting for the background work to settle (log: ${serverLog})`);
      const preload = await ingestIdle(server, o, 'bench-preload');
      await settle(server, store, o);
      o.log(`load, ${kind}: idle ingest of the same file`);
      const idle = await ingestIdle(server, o, 'bench-idle');
      o.log(`load, ${kind}: ${idle.linesPerSec ?? '?'} lines/s idle; settling`);
      await settle(server, store, o);
      const groups = loadRequests(o.file);
      await checkPaths(server.url, groups);
      o.log(`load, ${kind}: ingest while ${o.connections} connections ask for ${o.seconds} s`);
      const { endpoints, underLoad, cpu } = await ingestUnderLoad(server, store, o, groups);
      o.log(`load, ${kind}: ${underLoad.linesPerSecUnderLoad ?? '?'} lines/s under load; p99 ${endpoints.map((e) => `${e.endpoint} ${e.latencyMs.p99} ms`).join(', ')}`);
      server.rss.sample();
      const peakRssMb = round(Math.max(server.rss.peakMb, server.rss.hwmMb), 0);
      const stop = await server.stop();
      stopped = true;
      if (stop.exitCode !== 0) throw new Error(`server exited with code ${stop.exitCode} on SIGTERM (log: ${serverLog})`);
      const runs = { preload, idle, 'under load': underLoad };
      const checks: Check[] = Object.entries(runs).map(([name, r]) => ({
        name: `${name}: all lines stored`, ok: r.linesIngested === o.file.lines && r.linesRejected === 0,
        detail: `${r.linesIngested} ingested, ${r.linesRejected} rejected of ${o.file.lines}`,
      }));
      return {
        kind, preload, idle, underLoad, ingestRatio: ratio(underLoad.linesPerSecUnderLoad, idle.linesPerSec),
        endpoints, cpu, peakRssMb, checks, serverLog,
      };
    } finally {
      if (!stopped) await server.stop();
    }
  } finally {
    await store.dispose();
  }
}

export function evaluateLoadTargets(results: LoadBackendResult[]): LoadTarget[] {
  const targets: LoadTarget[] = [];
  const pass = (ok: boolean): LoadTarget['status'] => (ok ? 'PASS' : 'FAIL');
  for (const r of results) {
    const requests = r.endpoints.reduce((a, e) => a + e.requests, 0);
    const bad = r.endpoints.reduce((a, e) => a + e.non2xx + e.errors, 0);
    targets.push({ status: pass(bad === 0), name: `${r.kind}: errors under load (non-2xx, connection errors, timeouts)`, target: '0', value: `${bad} of ${requests} requests` });
    for (const e of r.endpoints) {
      targets.push({ status: pass(e.latencyMs.p99 < LOAD_TARGETS.p99Ms), name: `${r.kind}: ${e.endpoint} p99 under load`, target: `< ${LOAD_TARGETS.p99Ms} ms`, value: `${e.latencyMs.p99} ms` });
    }
    const ratioOk = r.ingestRatio !== null && r.ingestRatio >= LOAD_TARGETS.ingestRatio;
    targets.push({
      status: pass(ratioOk), name: `${r.kind}: ingest rate under load ÷ idle`, target: `≥ ${LOAD_TARGETS.ingestRatio}`,
      value: `${r.ingestRatio ?? '-'} (${int(r.underLoad.linesPerSecUnderLoad)} / ${int(r.idle.linesPerSec)} lines/s)`,
    });
  }
  return targets;
}

const int = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US'));

export function renderLoadReport(results: LoadBackendResult[], targets: LoadTarget[]): string {
  const cell = (f: (r: LoadBackendResult) => string): string[] => results.map(f);
  const ingest = formatTable([
    ['ingest, lines/s from upload accepted to job succeeded', ...results.map((r) => r.kind)],
    ['  preload, into the empty store', ...cell((r) => int(r.preload.linesPerSec))],
    ['  idle (baseline)', ...cell((r) => int(r.idle.linesPerSec))],
    ['  under load', ...cell((r) => int(r.underLoad.linesPerSecUnderLoad))],
    ['  under load ÷ idle', ...cell((r) => String(r.ingestRatio ?? '-'))],
    ['  job done within the load window (ingest ran s of the window)', ...cell((r) => `${r.underLoad.doneWithinLoad ? 'yes' : 'no'} (${r.underLoad.overlapS})`)],
    ['  upload accepted (202) s: idle / under load', ...cell((r) => `${r.idle.uploadAcceptedS} / ${r.underLoad.uploadAcceptedS}`)],
    ['  longest pause between committed batches s: idle / under load', ...cell((r) => `${r.idle.longestStallS} / ${r.underLoad.longestStallS}`)],
    ['CPU s during the load: server / postgres / bench / other (cores busy)', ...cell((r) =>
      `${r.cpu.serverS ?? '-'} / ${r.cpu.postgresS} / ${r.cpu.benchClientS} / ${r.cpu.restOfMachineS} (${r.cpu.coresBusy ?? '-'})`)],
    ['server peak RSS MB', ...cell((r) => int(r.peakRssMb))],
  ]);
  const endpoints = formatTable([
    ['backend', 'endpoint', 'conns', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'timeouts', 'cut off'],
    ...results.flatMap((r) => r.endpoints.map((e) => [
      r.kind, e.endpoint, String(e.connections), int(e.requests), String(e.requestsPerSec), String(e.latencyMs.p50), String(e.latencyMs.p90),
      String(e.latencyMs.p99), String(e.latencyMs.max), int(e.non2xx), int(e.errors), int(e.timeouts), int(e.unansweredAtStop),
    ])),
  ]);
  const checks = results.flatMap((r) => r.checks.map((c) => [c.ok ? 'ok' : 'WRONG', `${r.kind}: ${c.name}`, c.detail]));
  return [
    ingest, '', endpoints, '', '== Load targets', formatTable(targets.map((t) => [t.status, t.name, t.target, t.value])),
    '', '== Load checks', checks.length ? formatTable(checks) : '-',
  ].join('\n');
}

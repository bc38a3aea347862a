/**
 * `npm run bench`: end-to-end ingest throughput, GET /logs latency during and after ingest, the same
 * questions as SQL, baselines measured in the same run, and the server's RSS on a 2 GB file.
 * Progress goes to stderr, the table to stdout, everything to bench/out/results-<timestamp>.json.
 * Exits non-zero when a step fails or an answer is wrong, not when a target is missed.
 *
 *   npm run bench -- --lines 100000 --rss-gb 0
 *   npm run bench -- --load                    only the load section (bench/load.ts)
 *   npm run bench -- --dashboard               only the dashboard's page load times in Chromium (bench/dashboard.ts)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DbKind } from '../src/db/db.js';
import { measureAnalytics, waitForCompaction } from './analytics.js';
import { createFreshStore, postgresVersion } from './backends.js';
import { dashboardSection } from './dashboard.js';
import { runBackend, type BenchContext } from './backendRun.js';
import { measureParseOnly, measureWorkerPipeline } from './baselines.js';
import { ensureBenchLog, linesForBytes } from './dataset.js';
import { ingestThroughServer } from './ingestRun.js';
import { benchQueries } from './queries.js';
import { evaluateTargets, REFERENCE, renderReport, type BenchResults } from './report.js';
import { round } from './stats.js';
import { measureAlertEvaluation } from './alerts.js';
import { measureHostileSpan } from './hostileSpan.js';
import { evaluateLoadTargets, loadServerEnv, renderLoadReport, runLoadBackend, type LoadBackendResult } from './load.js';
import { LIVE_PROTOCOLS, evaluateLiveTargets, renderLiveReport, runLiveBackend, type LiveBackendResult, type LiveProtocolName } from './live.js';

const USAGE = `usage: node dist/bench/run.js [options]
  --lines N                 lines of the main input file (default 1000000)
  --backends LIST           pglite,postgres (default both)
  --database-url URL        PostgreSQL admin URL; a fresh database is created per measurement and dropped
                            (default postgresql://postgres@127.0.0.1:5432/postgres)
  --rss-gb GB               size of the RSS-step file in GB (default 2; 0 skips the step)
  --rss-backends LIST       backends for the RSS step (default postgres; add pglite to measure it too)
  --runs N                  GET /logs and SQL repetitions after ingest (default 30)
  --search-index-idle-ms MS server SEARCH_INDEX_IDLE_MS (default 10000, the product default; with --load,
                            trigram builds are held off unless this is given)
  --during-pause-ms MS      pause between GET /logs queries while ingest runs (default 250)
  --seed N                  generator seed (default 42)
  --out DIR                 cached inputs, server logs and results (default bench/out)
  --scratch-dir DIR         fresh data directories and the COPY file (default the OS temp dir)
  --analytics-api-runs N    calls per analytics endpoint, after the RSS step's ingest on PostgreSQL (default 20; 0 skips)
  --analytics-sql-runs N    runs of each plain-SQL equivalent (default 5: each scans all rows)
  --alert-rules N           enabled alert rules timed over the same data, 5 live ticks (default 1000; 0 skips)
  --hostile-span N          the hostile-span upload (a line a day since 2000, plus 1970 and 2099) with three rules,
                            /healthz polled throughout, on each of --backends (default 1; 0 skips)
  --load                    run only the load section: GET /logs, /analytics/summary and /analytics/traffic under
                            autocannon while a file is ingested, and the same file's idle ingest rate (--backends,
                            --database-url, --seed, --out, --scratch-dir and --search-index-idle-ms apply)
  --load-seconds S          duration of the load (default 30)
  --load-connections N      connections, split over the three endpoints (default 64)
  --load-lines N            lines of the file ingested idle and under load (default 1000000)
  --dashboard               run only the dashboard section: each page's time to draw in Chromium over a store of
                            --lines lines, next to its API calls from Node (--backends default pglite here)
  --dashboard-runs N        page loads per page (default 5)
  --live                    run only the live section: each live input (TCP syslog, _bulk, Loki, OTLP, ship) sends
                            --live-lines lines until all are committed, next to the same lines uploaded on the same
                            server; line-to-searchable latency at 10,000 lines/s; UDP loss at 10k/50k/100k lines/s;
                            RSS through a steady run (--backends default postgres here)
  --live-lines N            lines each input sends (default 1000000)
  --live-seconds S          length of the steady run (default 600; 0 skips it and the search over today)
  --live-inputs LIST        inputs to measure, comma-separated (default ${LIVE_PROTOCOLS.join(',')})`;

const GiB = 1024 ** 3;
const DEFAULT_SEARCH_INDEX_IDLE_MS = 10_000;

function fail(msg: string): never {
  console.error(`bench: ${msg}\n${USAGE}`);
  process.exit(2);
}

function liveInputs(list: string): LiveProtocolName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (!(LIVE_PROTOCOLS as readonly string[]).includes(n)) fail(`--live-inputs: unknown input '${n}'`);
  return names as LiveProtocolName[];
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '1000000' },
      backends: { type: 'string', default: 'pglite,postgres' },
      'database-url': { type: 'string', default: 'postgresql://postgres@127.0.0.1:5432/postgres' },
      'rss-gb': { type: 'string', default: '2' },
      'rss-backends': { type: 'string', default: 'postgres' },
      runs: { type: 'string', default: '30' },
      'search-index-idle-ms': { type: 'string' },
      'during-pause-ms': { type: 'string', default: '250' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string', default: 'bench/out' },
      'scratch-dir': { type: 'string', default: os.tmpdir() },
      'analytics-api-runs': { type: 'string', default: '20' },
      'analytics-sql-runs': { type: 'string', default: '5' },
      'alert-rules': { type: 'string', default: '1000' },
      'hostile-span': { type: 'string', default: '1' },
      load: { type: 'boolean', default: false },
      'load-seconds': { type: 'string', default: '30' },
      'load-connections': { type: 'string', default: '64' },
      dashboard: { type: 'boolean', default: false },
      'dashboard-runs': { type: 'string', default: '5' },
      'load-lines': { type: 'string', default: '1000000' },
      live: { type: 'boolean', default: false },
      'live-lines': { type: 'string', default: '1000000' },
      'live-seconds': { type: 'string', default: '600' },
      'live-inputs': { type: 'string', default: LIVE_PROTOCOLS.join(',') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = (name: keyof typeof values, min: number): number => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  const kinds = (name: 'backends' | 'rss-backends'): DbKind[] => {
    const list = values[name].split(',').map((s) => s.trim()).filter(Boolean);
    for (const k of list) if (k !== 'pglite' && k !== 'postgres') fail(`--${name}: unknown backend '${k}'`);
    return list as DbKind[];
  };
  return {
    lines: Math.floor(count('lines', 1000)),
    backends: kinds('backends'),
    databaseUrl: values['database-url'],
    rssGb: count('rss-gb', 0),
    rssBackends: kinds('rss-backends'),
    runs: Math.floor(count('runs', 1)),
    /** null: not given (the product default, 10000, except in the load section). */
    searchIndexIdleMs: values['search-index-idle-ms'] === undefined ? null : Math.floor(count('search-index-idle-ms', 0)),
    duringPauseMs: count('during-pause-ms', 0),
    seed: Math.floor(count('seed', 0)),
    out: path.resolve(values.out),
    scratchDir: path.resolve(values['scratch-dir']),
    analyticsApiRuns: Math.floor(count('analytics-api-runs', 0)),
    analyticsSqlRuns: Math.floor(count('analytics-sql-runs', 1)),
    alertRules: Math.floor(count('alert-rules', 0)),
    hostileSpan: Math.floor(count('hostile-span', 0)),
    load: values.load,
    loadSeconds: count('load-seconds', 1),
    loadConnections: Math.floor(count('load-connections', 3)),
    loadLines: Math.floor(count('load-lines', 1000)),
    dashboard: values.dashboard,
    dashboardRuns: Math.floor(count('dashboard-runs', 1)),
    live: values.live,
    liveLines: Math.floor(count('live-lines', 1000)),
    liveSeconds: Math.floor(count('live-seconds', 0)),
    liveInputs: liveInputs(values['live-inputs']),
    /** The dashboard section's default: the embedded database, the zero-setup case the target names. */
    backendsGiven: values.backends !== 'pglite,postgres',
  };
}

/** The directory holding package.json, above this file (bench/ from sources, dist/bench/ when built). */
function findRepoRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new Error('package.json not found above bench/run');
}

/** Which code was measured: the commit, and whether the working tree differed from it (read-only git calls). */
function sourceVersion(repoRoot: string): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', ['--no-optional-locks', ...args], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const changed = git('status', '--porcelain').split('\n').filter(Boolean).length;
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? ` + ${changed} uncommitted changes` : ''}`;
  } catch {
    return 'unknown';
  }
}

/** A whole UTC day in the middle of a generated file (bench/generate.ts starts 2026-10-01, ~4 lines/s). */
function middleDay(file: { lines: number }): string {
  const spanDays = (file.lines * 0.25) / 86_400;
  return new Date(Date.UTC(2026, 9, 1) + Math.floor(spanDays / 2) * 86_400_000).toISOString().slice(0, 10);
}

function fastest<T extends { seconds: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

type Options = ReturnType<typeof parseOptions>;

async function machineInfo(opts: Options, repoRoot: string): Promise<Record<string, string | number>> {
  const usesPostgres = opts.backends.includes('postgres') || (!opts.load && opts.rssBackends.includes('postgres'));
  return {
    nproc: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown', memTotalGb: round(os.totalmem() / GiB, 1),
    node: process.version, source: sourceVersion(repoRoot), platform: `${os.type()} ${os.release()}`,
    postgres: usesPostgres ? await postgresVersion(opts.databaseUrl).catch((e: unknown) => `unavailable: ${message(e)}`) : 'not used',
  };
}

const log = (msg: string): void => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const message = (err: unknown): string => (err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err));

/** `--load`: only the load section, on each backend; its own results file, load-results-<timestamp>.json. */
async function loadSection(opts: Options, repoRoot: string, startedAt: string, runStamp: string): Promise<number> {
  const failures: string[] = [];
  log(`load input: ${opts.loadLines} lines (cached in ${opts.out})`);
  const { file } = ensureBenchLog(opts.out, opts.loadLines, opts.seed);
  const serverEnv = loadServerEnv(opts.searchIndexIdleMs);
  const machine = await machineInfo(opts, repoRoot);
  const backends: LoadBackendResult[] = [];
  for (const kind of opts.backends) {
    try {
      const r = await runLoadBackend(kind, {
        repoRoot, outDir: opts.out, scratchRoot: opts.scratchDir, adminUrl: opts.databaseUrl, runStamp, file,
        seconds: opts.loadSeconds, connections: opts.loadConnections, searchIndexIdleMs: opts.searchIndexIdleMs, jobTimeoutMs: 3_600_000, indexTimeoutMs: 3_600_000, log,
      });
      backends.push(r);
      for (const c of r.checks) if (!c.ok) failures.push(`load, ${kind}: wrong answer: ${c.name} (${c.detail})`);
    } catch (err) {
      log(`load, ${kind} FAILED: ${message(err)}`);
      failures.push(`load, ${kind}: ${message(err)}`);
    }
  }
  const targets = evaluateLoadTargets(backends);
  const results = {
    startedAt, finishedAt: new Date().toISOString(), command: process.argv.slice(1).join(' '), machine, options: opts, serverEnv,
    dataset: file, backends, targets, failures,
  };
  const jsonFile = path.join(opts.out, `load-results-${runStamp}.json`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log([
    `Log Insights load benchmark, ${startedAt}`,
    `machine: ${machine.nproc} cores (${machine.cpuModel}), ${machine.memTotalGb} GB RAM, node ${machine.node}, ${machine.postgres}`,
    `code: ${machine.source}`,
    `input: ${file.lines.toLocaleString('en-US')} lines, ${round(file.bytes / 1e6, 1)} MB (bench/generate.ts, seed ${file.seed}); ` +
      `load: ${opts.loadConnections} connections for ${opts.loadSeconds} s, split over GET /logs, /analytics/summary, /analytics/traffic`,
    `server: ${Object.entries(serverEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    '',
    backends.length ? renderLoadReport(backends, targets) : '(no backend ran)',
    ...(failures.length ? ['', '== FAILED STEPS', ...failures.map((f) => `- ${f}`)] : []),
    '',
    `full results: ${path.relative(process.cwd(), jsonFile)}`,
  ].join('\n'));
  return failures.length ? 1 : 0;
}

/** `--live`: only the live section; its own results file, live-results-<timestamp>.json. */
async function liveSection(opts: Options, repoRoot: string, startedAt: string, runStamp: string): Promise<number> {
  const failures: string[] = [];
  fs.mkdirSync(opts.out, { recursive: true });
  const machine = await machineInfo(opts, repoRoot);
  const results: LiveBackendResult[] = [];
  for (const kind of opts.backendsGiven ? opts.backends : (['postgres'] as const)) {
    try {
      results.push(await runLiveBackend(kind, {
        repoRoot, outDir: opts.out, scratchRoot: opts.scratchDir, adminUrl: opts.databaseUrl, runStamp, lines: opts.liveLines,
        protocols: opts.liveInputs, steadySeconds: opts.liveSeconds, seed: opts.seed, log,
      }));
    } catch (err) {
      log(`live, ${kind} FAILED: ${message(err)}`);
      failures.push(`live, ${kind}: ${message(err)}`);
    }
  }
  const targets = evaluateLiveTargets(results);
  const jsonFile = path.join(opts.out, `live-results-${runStamp}.json`);
  fs.writeFileSync(jsonFile, `${JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), command: process.argv.slice(1).join(' '), machine, options: opts, results, targets, failures }, null, 2)}\n`);
  console.log([
    `Log Insights live benchmark, ${startedAt}`,
    `machine: ${machine.nproc} cores (${machine.cpuModel}), ${machine.memTotalGb} GB RAM, node ${machine.node}, ${machine.postgres}`,
    `code: ${machine.source}`,
    `input: ${opts.liveLines.toLocaleString('en-US')} generated access lines per input (bench/generate.ts, seed ${opts.seed}); inputs one after the other on one server`,
    '',
    results.length ? renderLiveReport(results, targets) : '(no backend ran)',
    ...(failures.length ? ['', '== FAILED STEPS', ...failures.map((f) => `- ${f}`)] : []),
    '',
    `full results: ${path.relative(process.cwd(), jsonFile)}`,
  ].join('\n'));
  return failures.length ? 1 : 0;
}

async function main(): Promise<number> {
  const opts = parseOptions();
  const repoRoot = findRepoRoot();
  const startedAt = new Date().toISOString();
  const runStamp = startedAt.replace(/[:.]/g, '-');
  if (opts.load) return loadSection(opts, repoRoot, startedAt, runStamp);
  if (opts.live) return liveSection(opts, repoRoot, startedAt, runStamp);
  if (opts.dashboard) {
    const { file } = ensureBenchLog(opts.out, opts.lines, opts.seed);
    const machine = await machineInfo(opts, repoRoot);
    return dashboardSection({
      repoRoot, out: opts.out, scratchDir: opts.scratchDir, databaseUrl: opts.databaseUrl, file, runs: opts.dashboardRuns, log,
      backends: opts.backendsGiven ? opts.backends : ['pglite'],
      header: [
        `Log Insights dashboard benchmark, ${startedAt}`,
        `machine: ${machine.nproc} cores (${machine.cpuModel}), ${machine.memTotalGb} GB RAM, node ${machine.node}, ${machine.postgres}`,
        `code: ${machine.source}`,
        `input: ${file.lines.toLocaleString('en-US')} lines (bench/generate.ts, seed ${file.seed}); ${opts.dashboardRuns} loads per page, Chromium 1280×800`,
      ],
    }, runStamp);
  }
  const failures: string[] = [];

  log(`input: ${opts.lines} lines (cached in ${opts.out})`);
  const { file, generatedMs } = ensureBenchLog(opts.out, opts.lines, opts.seed);
  const rssFile = opts.rssGb > 0 ? ensureBenchLog(opts.out, linesForBytes(file, opts.rssGb * 1e9), opts.seed).file : null;
  const serverEnv = {
    LOG_LEVEL: 'info',
    SEARCH_INDEX_IDLE_MS: String(opts.searchIndexIdleMs ?? DEFAULT_SEARCH_INDEX_IDLE_MS),
    MAX_UPLOAD_BYTES: String(Math.max(2 * GiB, (rssFile?.bytes ?? 0) + 2 ** 20)),
  };

  // Each baseline twice, keeping the faster: the first run also warms up the JIT.
  log('baselines: parse only, then the worker pipeline (parse + COPY encoding), twice each');
  const parseRuns = [measureParseOnly(file.path), measureParseOnly(file.path)];
  const copyPath = path.join(opts.scratchDir, `loginsights-bench-copy-${runStamp}.tsv`);
  const pipelineRuns = [await measureWorkerPipeline(file.path, copyPath), await measureWorkerPipeline(file.path, copyPath)];
  const parseOnly = fastest(parseRuns);
  const { copyFile, ...workerPipeline } = fastest(pipelineRuns);

  const results: BenchResults = {
    startedAt, finishedAt: '', command: process.argv.slice(1).join(' '),
    machine: await machineInfo(opts, repoRoot),
    options: opts, serverEnv,
    dataset: { ...file, generatedS: generatedMs === null ? null : round(generatedMs / 1000, 1) },
    baselines: {
      parseOnly, workerPipeline, reference: REFERENCE,
      runsLinesPerSec: { parseOnly: parseRuns.map((r) => r.linesPerSec), workerPipeline: pipelineRuns.map((r) => r.linesPerSec) },
    },
    backends: {}, rssStep: [], analytics: [], hostileSpan: [], targets: [], failures,
  };

  const ctx: BenchContext = {
    repoRoot, outDir: opts.out, scratchRoot: opts.scratchDir, adminUrl: opts.databaseUrl, runStamp, file,
    queries: benchQueries(file), copyFile, serverEnv, runs: opts.runs, duringPauseMs: opts.duringPauseMs,
    jobTimeoutMs: 3_600_000, indexTimeoutMs: 3_600_000,
  };
  try {
    for (const kind of opts.backends) {
      try {
        const r = await runBackend(kind, ctx, log);
        results.backends[kind] = r;
        for (const c of r.checks) if (!c.ok) failures.push(`${kind}: wrong answer: ${c.name} (${c.detail})`);
      } catch (err) {
        log(`${kind} FAILED: ${message(err)}`);
        failures.push(`${kind}: ${message(err)}`);
      }
    }
  } finally {
    fs.rmSync(copyPath, { force: true });
  }

  for (const kind of opts.hostileSpan > 0 ? opts.backends : []) {
    try {
      log(`hostile span, ${kind}: a line a day since 2000 plus 1970 and 2099, three rules, /healthz polled`);
      const h = await measureHostileSpan(kind, { repoRoot, scratchRoot: opts.scratchDir, adminUrl: opts.databaseUrl, outDir: opts.out, runStamp, log });
      results.hostileSpan.push(h);
      if (h.healthzFailures.length) failures.push(`hostile span, ${kind}: /healthz failed ${h.healthzFailures.length} times (${h.healthzFailures[0]})`);
      if (h.ingested + h.rejected + h.skipped !== h.lines) failures.push(`hostile span, ${kind}: wrong answer: lines do not add up (${h.ingested} + ${h.rejected} + ${h.skipped} ≠ ${h.lines})`);
    } catch (err) {
      log(`hostile span, ${kind} FAILED: ${message(err)}`);
      failures.push(`hostile span, ${kind}: ${message(err)}`);
    }
  }

  for (const kind of rssFile ? opts.rssBackends : []) {
    try {
      log(`RSS step, ${kind}: ingesting ${rssFile!.lines} lines (${round(rssFile!.bytes / 1e9, 2)} GB)`);
      const store = await createFreshStore(kind, { scratchRoot: opts.scratchDir, adminUrl: opts.databaseUrl });
      // On PostgreSQL the analytics section follows on the same data, with the server still running.
      const analytics = kind === 'postgres' && opts.analyticsApiRuns > 0;
      try {
        const { ingest } = await ingestThroughServer({
          repoRoot, store, file: rssFile!, logFile: path.join(opts.out, `server-rss-${kind}-${runStamp}.log`), jobTimeoutMs: 3 * 3_600_000,
          // No trigram builds while analytics are timed: on two cores they would take one core for minutes.
          serverEnv: analytics ? { ...serverEnv, SEARCH_INDEX_IDLE_MS: String(7 * 86_400_000) } : serverEnv,
          afterIngest: analytics ? async (url) => {
            const db = await store.openDirect();
            try {
              log('analytics: waiting for the rollup parts to be compacted');
              await waitForCompaction(db, 600_000);
              results.analytics = await measureAnalytics({
                serverUrl: url, db, day: middleDay(rssFile!), apiRuns: opts.analyticsApiRuns, sqlRuns: opts.analyticsSqlRuns, log,
              });
              for (const a of results.analytics) if (!a.check.ok) failures.push(`analytics: wrong answer: ${a.name}, ${a.range} (${a.check.detail})`);
              if (opts.alertRules > 0) results.alerts = await measureAlertEvaluation(db, { rules: opts.alertRules, ticks: 5, log });
            } finally {
              await db.close();
            }
          } : undefined,
        });
        results.rssStep.push({ kind, ingest });
        log(`RSS step, ${kind}: ${ingest.linesPerSec ?? '?'} lines/s, peak RSS ${Math.max(ingest.peakRssMb, ingest.hwmRssMb)} MB`);
      } finally {
        await store.dispose();
      }
    } catch (err) {
      log(`RSS step ${kind} FAILED: ${message(err)}`);
      failures.push(`RSS step, ${kind}: ${message(err)}`);
    }
  }

  results.finishedAt = new Date().toISOString();
  results.targets = evaluateTargets(results);
  const jsonFile = path.join(opts.out, `results-${runStamp}.json`);
  fs.writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(renderReport(results));
  console.log(`\nfull results: ${path.relative(process.cwd(), jsonFile)}`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);

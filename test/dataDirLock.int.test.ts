import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGeneratedLog } from '../bench/generate.js';
import { freePort } from '../bench/serverProcess.js';
import { openPglite } from '../src/db/pglite.js';
import type { IngestJob } from '../src/ingest/jobs.js';
import { ADMIN_HEADERS, REPO_ROOT, TEST_ADMIN_KEY, TEST_SECRET_KEY, TSX_IMPORT } from './helpers/env.js';
import { spawnServer, type ServerProcess } from './helpers/serverProcess.js';

/**
 * Issue 13 #0: one process at a time on an embedded DATA_DIR. A second server and every CLI command
 * that opens the database refuse in one sentence while a server runs; shutdown is prompt and releases
 * the directory; a killed holder's lock is taken over; and the database opens afterwards every time.
 * PGlite only: that is the point. One data directory, one server at a time, all along the file.
 */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-lock-'));
const dataDir = path.join(dir, 'data');
const socket = path.join(dataDir, 'pglite.lock');
const env = { DATA_DIR: dataDir, INGEST_BATCH_ROWS: '2000', SEARCH_INDEX_IDLE_MS: '3600000' };
const LINE = (i: number): string => `203.0.113.${i} - - [10/Oct/2026:13:55:3${i} +0000] "GET /before/${i} HTTP/1.1" 200 512 "-" "curl/8.5"`;
const BIG_LINES = 150_000;
const EXIT_WAIT_MS = 20_000;
/** A liveness bound only: a cold PGlite start takes seconds, but much longer on a busy two-core machine. */
const START_MS = 180_000;
const start = (): Promise<ServerProcess> => spawnServer(env, START_MS);

/** Runs the CLI from the sources; killed if it has not exited after START_MS (a refused command exits once it has loaded). */
function cli(args: string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', TSX_IMPORT, path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH ?? '', ADMIN_API_KEY: TEST_ADMIN_KEY, SECRET_KEY: TEST_SECRET_KEY, HOST: '127.0.0.1', ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), START_MS);
  return new Promise((resolve) => child.on('exit', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr });
  }));
}

async function exitOf(server: ServerProcess): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([server.exited, new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), EXIT_WAIT_MS)))]);
  clearTimeout(timer);
  if (code === 'running') {
    server.child.kill('SIGKILL');
    throw new Error(`the server had not exited ${EXIT_WAIT_MS} ms after the signal:\n${server.output().slice(-3000)}`);
  }
  return code;
}

async function getJson<T>(server: ServerProcess, url: string): Promise<T> {
  const res = await fetch(`${server.url}${url}`, { headers: ADMIN_HEADERS });
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
}

async function upload(server: ServerProcess, body: Buffer | string, source: string): Promise<string> {
  const res = await fetch(`${server.url}/logs/upload?source=${source}`, {
    method: 'POST', body, headers: { ...ADMIN_HEADERS, 'content-type': 'application/octet-stream' },
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { job_id: string }).job_id;
}

async function waitForJob(server: ServerProcess, id: string, until: (job: IngestJob) => boolean): Promise<IngestJob> {
  for (;;) {
    const job = await getJson<IngestJob>(server, `/ingest/jobs/${id}`);
    if (until(job)) return job;
    if (job.status === 'failed') throw new Error(`job ${id} failed: ${job.error}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An upload whose body has begun (its spool file exists) and never ends: a request in flight. */
async function uploadInFlight(server: ServerProcess): Promise<{ ended: Promise<unknown> }> {
  const before = new Set(fs.readdirSync(path.join(dataDir, 'spool')));
  const req = http.request(`${server.url}/logs/upload?source=cut`, {
    method: 'POST', headers: { ...ADMIN_HEADERS, 'content-type': 'application/octet-stream' },
  });
  const ended = new Promise((resolve) => {
    req.on('error', resolve);
    req.on('response', (res) => {
      res.resume();
      res.on('close', () => resolve(res.statusCode));
    });
  });
  req.write(`${LINE(9)}\n`);
  while (!fs.readdirSync(path.join(dataDir, 'spool')).some((f) => !before.has(f))) await new Promise((r) => setTimeout(r, 20));
  return { ended };
}

async function logsOf(server: ServerProcess, source: string): Promise<string[]> {
  return (await getJson<{ items: { raw_log: string }[] }>(server, `/logs?source=${source}`)).items.map((r) => r.raw_log).sort();
}

describe('DATA_DIR lock and prompt shutdown (PGlite)', () => {
  let server: ServerProcess;
  let firstJob: string;
  let bigJob: string;
  let bigBytes: number;
  beforeAll(async () => {
    server = await start();
    firstJob = await upload(server, [1, 2, 3].map(LINE).join('\n'), 'before');
    await waitForJob(server, firstJob, (j) => j.status === 'succeeded');
  }, START_MS + 60_000);
  afterAll(() => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second server and every database command in one sentence while a server runs, and the server goes on', async () => {
    const pid = server.child.pid!;
    const commands: [string[], RegExp][] = [
      [['serve'], /or give this one another DATA_DIR\.$/],
      [['migrate'], /a server applies pending migrations itself when it starts\.$/],
      [['keys', 'list'], /GET \/auth\/keys with an admin key\.$/],
      [['keys', 'create', '--name', 'locked-out'], /POST \/auth\/keys with an admin key\.$/],
      [['rollups', 'rebuild'], /then run the rebuild again\.$/],
      [['routes', 'rebuild'], /then run the rebuild again\.$/],
    ];
    const port = String(await freePort());
    const runs = await Promise.all(commands.map(([args]) => cli(args, { PORT: port })));
    for (const [i, run] of runs.entries()) {
      const [args, advice] = commands[i]!;
      const what = `${args.join(' ')}: ${run.stderr}`;
      expect(run.code, what).toBe(2);
      const lines = run.stderr.trim().split('\n');
      expect(lines, what).toHaveLength(1); // one sentence, no stack trace
      expect(lines[0], what).toMatch(new RegExp(
        `^loginsights: DATA_DIR ${dataDir} is in use by \`loginsights serve\` \\(pid ${pid}, ${server.url}, since [0-9-]+ [0-9:]+ UTC\\): ` +
        `stop that process first \\(Ctrl-C in its terminal, or kill ${pid}\\), `,
      ));
      expect(lines[0], what).toMatch(advice);
    }
    expect(server.child.exitCode).toBeNull();
    expect((await getJson<IngestJob>(server, `/ingest/jobs/${firstJob}`)).status).toBe('succeeded');
    expect(await logsOf(server, 'before')).toEqual([1, 2, 3].map(LINE).sort());
  }, START_MS + 60_000);

  it('shuts down on SIGINT: a request in flight is cut after a grace, DATA_DIR is released, and the next server opens the database', async () => {
    const inFlight = await uploadInFlight(server);
    server.child.kill('SIGINT');
    expect(await exitOf(server)).toBe(0);
    await inFlight.ended;
    expect(server.output()).toMatch(/shutting down/);
    expect(fs.existsSync(socket)).toBe(false);
    expect(fs.existsSync(`${socket}.json`)).toBe(false);
    expect(fs.readdirSync(path.join(dataDir, 'spool'))).toEqual([]); // the cut upload left no file

    server = await start();
    expect(await logsOf(server, 'before')).toEqual([1, 2, 3].map(LINE).sort());
    const jobs = await getJson<{ items: IngestJob[] }>(server, '/ingest/jobs');
    expect(jobs.items.map((j) => j.id)).toEqual([firstJob]); // and no job
  }, START_MS + 60_000);

  it('stops during an ingest after the batch being committed, and after a restart the job ends with every line once', async () => {
    const file = path.join(dir, 'big.log');
    bigBytes = writeGeneratedLog(file, { lines: BIG_LINES, seed: 13, startMs: Date.UTC(2026, 9, 12) }).bytes;
    bigJob = await upload(server, fs.readFileSync(file), 'big');
    await waitForJob(server, bigJob, (j) => j.bytes_processed > 0);
    server.child.kill('SIGINT');
    expect(await exitOf(server)).toBe(0);
    expect(server.output()).toMatch(/ingest job interrupted by shutdown/);
    expect(fs.existsSync(socket)).toBe(false);

    server = await start();
    const stopped = await getJson<IngestJob>(server, `/ingest/jobs/${bigJob}`);
    expect(stopped.bytes_processed).toBeLessThan(bigBytes); // it stopped, rather than finishing the file first
    const job = await waitForJob(server, bigJob, (j) => j.status === 'succeeded');
    expect(job).toMatchObject({ lines_ingested: BIG_LINES, lines_rejected: 0, lines_skipped: 0, bytes_processed: bigBytes });
    expect(job.attempts).toBeGreaterThanOrEqual(2);
  }, START_MS + 180_000);

  it('takes over from a server killed with SIGKILL, and the database opens', async () => {
    server.child.kill('SIGKILL');
    await server.exited;
    expect(fs.statSync(socket).isSocket()).toBe(true); // left behind, refusing connections
    server = await start();
    expect(await logsOf(server, 'before')).toEqual([1, 2, 3].map(LINE).sort());
  }, START_MS + 60_000);

  it('exits at once with 130 on a second SIGINT, saying so; the next opener takes over and finds every line once', async () => {
    await uploadInFlight(server); // holds the first shutdown in its grace period
    server.child.kill('SIGINT');
    while (!/shutting down/.test(server.output())) await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGINT');
    expect(await exitOf(server)).toBe(130);
    expect(server.output()).toMatch(/loginsights: second SIGINT: exiting at once/);
    expect(fs.statSync(socket).isSocket()).toBe(true); // no shutdown: left behind as by a crash

    const db = await openPglite({ dataDir: path.join(dataDir, 'pglite'), statementTimeoutMs: 60_000 });
    try {
      const res = await db.query<{ n: number; lines: number }>(
        'SELECT count(*)::int AS n, count(DISTINCT line_no)::int AS lines FROM logs WHERE job_id = $1', [bigJob],
      );
      expect(res.rows[0]).toEqual({ n: BIG_LINES, lines: BIG_LINES });
    } finally {
      await db.close();
    }
  }, 60_000);
});

/**
 * The built server (`node dist/src/cli/main.js serve`) in a child process, with its resident memory
 * sampled from /proc. Only the Node process is measured: with PostgreSQL, the database's own
 * processes are not part of the figure; with PGlite the database lives inside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sleep } from './stats.js';

const RSS_SAMPLE_MS = 200;
const STOP_TIMEOUT_MS = 120_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** `VmRSS` / `VmHWM` (peak) of a process in MiB, from /proc/<pid>/status; null once it has exited. */
export function readProcMemoryMb(pid: number): { rssMb: number; hwmMb: number } | null {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/** Polls VmRSS every 200 ms and keeps the peak; the kernel's own high-water mark (VmHWM) is kept too. */
export class RssSampler {
  peakMb = 0;
  hwmMb = 0;

  samples = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
  }

  sample(): void {
    const m = readProcMemoryMb(this.pid);
    if (!m) return;
    this.samples++;
    if (m.rssMb > this.peakMb) this.peakMb = m.rssMb;
    if (m.hwmMb > this.hwmMb) this.hwmMb = m.hwmMb;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The bootstrap admin key of every server the bench starts, and the headers that carry it. */
export const BENCH_API_KEY = 'li_bench_admin_key_0123456789abcdefghijklmnopqrstu';
export const BENCH_HEADERS = { authorization: `Bearer ${BENCH_API_KEY}` } as const;

export interface ServerHandle {
  url: string;
  pid: number;
  rss: RssSampler;
  logFile: string;
  /** SIGTERM, wait for a clean exit (PGlite releases its data dir), SIGKILL after a timeout. */
  stop(): Promise<{ exitCode: number | null; stopMs: number }>;
}

export interface ServerOptions {
  repoRoot: string;
  /** Working directory: a scratch dir, so a developer's `.env` in the repository is not picked up. */
  cwd: string;
  env: Record<string, string>;
  logFile: string;
  readyTimeoutMs?: number;
}

/** Spawns the server on a free port and resolves once GET /readyz answers 200. */
export async function startServer(opts: ServerOptions): Promise<ServerHandle> {
  const port = await freePort();
  const main = path.join(opts.repoRoot, 'dist/src/cli/main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} does not exist: run \`npm run build\` first (npm run bench does)`);
  const log = fs.createWriteStream(opts.logFile);
  const child = spawn(process.execPath, [main, 'serve'], {
    cwd: opts.cwd,
    env: {
      HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info',
      // The bench measures capacity, not the per-key request policy; and its substring search (rare_q)
      // covers the whole file, which the embedded database's scan bound would refuse.
      ADMIN_API_KEY: BENCH_API_KEY, SECRET_KEY: 'bench-secret-key-0123456789abcdef', RATE_LIMIT_PER_MINUTE: '0',
      RAW_QUERIES_PER_KEY: '0', EMBEDDED_SCAN_MAX_DAYS: '0',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the server');
  const rss = new RssSampler(pid);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, child, opts.readyTimeoutMs ?? 120_000);
  } catch (err) {
    rss.stop();
    child.kill('SIGKILL');
    throw new Error(`server did not become ready (log: ${opts.logFile})`, { cause: err });
  }
  return {
    url,
    pid,
    rss,
    logFile: opts.logFile,
    async stop() {
      rss.sample();
      rss.stop();
      const t0 = performance.now();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const exitCode = await exited;
      clearTimeout(timer);
      log.end();
      return { exitCode, stopMs: performance.now() - t0 };
    },
  };
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms`);
    await sleep(100);
  }
}

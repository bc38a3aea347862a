import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../../bench/serverProcess.js';
import { REPO_ROOT, TEST_ADMIN_KEY, TEST_SECRET_KEY, TSX_IMPORT } from './env.js';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/**
 * Runs `loginsights serve` from the sources in a child process and waits until it answers /readyz.
 * A variable given as undefined is left out (`ADMIN_API_KEY: undefined`: a first start that makes its own key).
 */
export async function spawnServer(env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<ServerProcess> {
  const port = await freePort();
  const all = { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ADMIN_API_KEY: TEST_ADMIN_KEY, SECRET_KEY: TEST_SECRET_KEY, ...env };
  const child = spawn(process.execPath, ['--import', TSX_IMPORT, path.join(REPO_ROOT, 'src/cli/main.ts'), 'serve'], {
    cwd: os.tmpdir(), // not the repository: a developer's .env there must not leak into the test
    env: Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after ${timeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, output: () => out, exited };
}

/** A suite's own server process: its directory, and the process once started. */
export interface SuiteServer {
  /** A fresh temporary directory (DATA_DIR is `data` in it); removed after the suite. */
  readonly dir: string;
  /** The running server (from the suite's first test on). */
  readonly process: ServerProcess;
}

/** Starts a server process in a fresh temporary directory before the suite's tests, stops it and removes the directory after. */
export function suiteServer(prefix: string, env: Record<string, string | undefined> = {}): SuiteServer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  let running: ServerProcess | undefined;
  beforeAll(async () => {
    running = await spawnServer({ DATA_DIR: path.join(dir, 'data'), ...env });
  });
  afterAll(async () => {
    running?.child.kill('SIGTERM');
    await running?.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    get process(): ServerProcess {
      if (!running) throw new Error('the suite server is not started yet (use it inside a test)');
      return running;
    },
  };
}

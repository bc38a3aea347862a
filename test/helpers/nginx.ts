import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../bench/serverProcess.js';
import { stopChild } from './childProcess.js';
import { requirement } from './env.js';

/** Debian's nginx (apt-get install nginx-light; .ci/run installs it). */
function findNginx(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin'])) {
    const file = path.join(dir, 'nginx');
    if (fs.existsSync(file)) return file;
  }
  return null;
}

const NGINX = findNginx();
export const nginx = requirement('nginx', NGINX !== null, "not found; install Debian's package: apt-get install nginx-light");

export interface RunningNginx {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real nginx in the foreground, on a free port, with `http` directives of the caller's (an
 * `access_log syslog:` line) and `locations` inside its one server; everything it writes stays in a
 * temporary directory.
 */
export async function startNginx(http: string, locations: string): Promise<RunningNginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-nginx-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join('\n  ');
  fs.writeFileSync(path.join(dir, 'nginx.conf'), `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 256; }
http {
  ${temp}
  ${http}
  server {
    listen 127.0.0.1:${port};
    ${locations}
  }
}
`);
  const child: ChildProcess = spawn(NGINX!, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || i > 100) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start: ${stderr}${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    // SIGQUIT: a graceful stop, after the log lines of requests already answered are sent.
    stop: () => stopChild(child, exited, 'SIGQUIT', 5_000, dir),
  };
}

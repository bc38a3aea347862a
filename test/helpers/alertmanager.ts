import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../bench/serverProcess.js';
import { requirement } from './env.js';

/** Debian's package installs `prometheus-alertmanager`; upstream builds are called `alertmanager`. */
function findBinary(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['prometheus-alertmanager', 'alertmanager']) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return file;
    }
  }
  return null;
}

const EXTERNAL_URL = process.env.ALERTMANAGER_URL || undefined;
const BINARY = EXTERNAL_URL ? null : findBinary();

/** An Alertmanager to test against: ALERTMANAGER_URL, or the installed binary (.ci/run installs it). Required under CI=true. */
export const alertmanager = requirement('a Prometheus Alertmanager', EXTERNAL_URL !== undefined || BINARY !== null, 'ALERTMANAGER_URL is not set and no prometheus-alertmanager binary is on PATH (apt-get install prometheus-alertmanager)');

/** The Alertmanager's URL: the external one, or a fresh process on a loopback port with a throwaway config and store. */
export async function startAlertmanager(): Promise<{ url: string; stop(): Promise<void> }> {
  if (EXTERNAL_URL) return { url: EXTERNAL_URL, stop: async () => undefined };
  if (!BINARY) throw new Error('no Alertmanager available');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loginsights-am-'));
  fs.writeFileSync(path.join(dir, 'alertmanager.yml'), 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
  const port = await freePort();
  const child = spawn(BINARY, [
    `--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`Alertmanager did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

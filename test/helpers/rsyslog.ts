import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopChild } from './childProcess.js';
import { requirement } from './env.js';

const RSYSLOGD = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'].find((f) => fs.existsSync(f)) ?? null;
export const rsyslog = requirement('rsyslog', RSYSLOGD !== null, "not found; install Debian's packages: apt-get install rsyslog rsyslog-elasticsearch");

export interface RunningRsyslog {
  /** Its working directory (state files, and files for it to follow). */
  dir: string;
  stop(): Promise<void>;
}

/**
 * A real rsyslogd in the foreground with the caller's configuration (`$DIR` stands for its working
 * directory); nothing of the machine's own syslog is read or written.
 */
export async function startRsyslog(config: (dir: string) => string): Promise<RunningRsyslog> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-rsyslog-'));
  const conf = path.join(dir, 'rsyslog.conf');
  fs.writeFileSync(conf, `global(workDirectory="${dir}")\n${config(dir)}\n`);
  const check = spawn(RSYSLOGD!, ['-N1', '-f', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  check.stdout.on('data', (d: Buffer) => (out += d.toString()));
  check.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => check.on('exit', resolve));
  if (code !== 0) throw new Error(`rsyslog configuration refused: ${out}`);
  const child = spawn(RSYSLOGD!, ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise((r) => setTimeout(r, 300));
  if (child.exitCode !== null) throw new Error(`rsyslogd exited at start: ${stderr}`);
  return {
    dir,
    stop: () => stopChild(child, exited, 'SIGTERM', 10_000, dir),
  };
}

import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';

/** Stops a test's server process with `signal`, SIGKILL after `graceMs`, and removes its working directory. */
export async function stopChild(child: ChildProcess, exited: Promise<unknown>, signal: NodeJS.Signals, graceMs: number, dir: string): Promise<void> {
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  fs.rmSync(dir, { recursive: true, force: true });
}

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TSX_IMPORT } from '../../test/helpers/env.js';
import { DataDirLockedError, lockDataDir, lockPaths } from './dataDirLock.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'li-lock-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => path.join(root, `d${++dirs}`, 'pglite');

interface RacerEvent {
  event: string;
  pid: number;
  message?: string;
}

/** A child process driving the lock (test/helpers/lockRacer.ts) through stdin, answering JSON lines. */
class Racer {
  readonly child: ChildProcess;
  private readonly events: RacerEvent[] = [];
  private waiting: (() => void) | undefined;

  constructor() {
    this.child = spawn(process.execPath, ['--import', TSX_IMPORT, path.join(REPO_ROOT, 'test/helpers/lockRacer.ts')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.events.push(JSON.parse(line) as RacerEvent);
      this.waiting?.();
    });
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** The next event, whatever it is. */
  async next(): Promise<RacerEvent> {
    while (this.events.length === 0) await new Promise<void>((resolve) => (this.waiting = resolve));
    return this.events.shift()!;
  }
}

/** Leaves a socket file that no process listens on, as a holder killed by SIGKILL does. */
async function staleSocket(file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(file)}, () => console.log('ready'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(fs.statSync(file).isSocket()).toBe(true);
}

describe('the data-directory lock', () => {
  it('is taken, describes its holder, refuses a second opener in words, and is released', async () => {
    const dir = freshDir();
    const paths = lockPaths(dir);
    const lock = await lockDataDir(dir, { command: 'serve' });
    expect(fs.statSync(paths.socket).isSocket()).toBe(true);
    lock.update({ url: 'http://127.0.0.1:8123' });
    expect(JSON.parse(fs.readFileSync(paths.json, 'utf8'))).toMatchObject({ pid: process.pid, command: 'serve', url: 'http://127.0.0.1:8123' });

    const refused = await lockDataDir(dir, { name: 'DATA_DIR /x', advice: 'or create the key through its API instead' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataDirLockedError);
    const since = (refused as DataDirLockedError).holder!.started_at.slice(0, 16).replace('T', ' ');
    expect((refused as Error).message).toBe(
      `DATA_DIR /x is in use by \`loginsights serve\` (pid ${process.pid}, http://127.0.0.1:8123, since ${since} UTC): ` +
      `stop that process first (Ctrl-C in its terminal, or kill ${process.pid}), or create the key through its API instead.`,
    );
    lock.update({ stopping: true });
    await expect(lockDataDir(dir)).rejects.toThrow(/, which is shutting down: try again in a few seconds\.$/);

    await lock.release();
    await lock.release();
    expect(fs.existsSync(paths.socket)).toBe(false);
    expect(fs.existsSync(paths.json)).toBe(false);
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('binds a socket path too long for sun_path through the directory, and still refuses a second opener', async () => {
    const dir = path.join(root, 'x'.repeat(120), 'pglite');
    expect(Buffer.byteLength(lockPaths(dir).socket)).toBeGreaterThan(108);
    const lock = await lockDataDir(dir);
    expect(fs.statSync(lockPaths(dir).socket).isSocket()).toBe(true);
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirLockedError);
    await lock.release();
    expect(fs.existsSync(lockPaths(dir).socket)).toBe(false);
  });

  it('takes over the socket of a holder that died, and breaks a take-over guard only once it is abandoned', async () => {
    const dir = freshDir();
    const paths = lockPaths(dir);
    await staleSocket(paths.socket);
    const first = await lockDataDir(dir);
    await first.release();

    // A guard left by a starter that died mid take-over (mtime a minute ago): broken.
    await staleSocket(paths.socket);
    fs.writeFileSync(paths.guard, '1 dead');
    fs.utimesSync(paths.guard, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const second = await lockDataDir(dir);
    expect(fs.existsSync(paths.guard)).toBe(false);
    await second.release();

    // A live starter's guard: waited for, not broken.
    await staleSocket(paths.socket);
    fs.writeFileSync(paths.guard, '1 live');
    let guardRemoved = false;
    const third = lockDataDir(dir);
    setTimeout(() => {
      guardRemoved = true;
      fs.rmSync(paths.guard);
    }, 300);
    await third.then((l) => {
      expect(guardRemoved).toBe(true);
      return l.release();
    });
  });

  describe('between processes', () => {
    const racers: Racer[] = [];
    beforeAll(async () => {
      racers.push(...Array.from({ length: 4 }, () => new Racer()));
      for (const r of racers) expect((await r.next()).event).toBe('ready');
    });
    afterAll(() => racers.forEach((r) => r.child.kill('SIGKILL')));

    it('refuses while the holder\'s event loop is blocked, and is taken over once the holder is killed', async () => {
      const dir = freshDir();
      const [holder] = racers;
      holder!.send(`lock ${dir}`);
      expect(await holder!.next()).toMatchObject({ event: 'won' });
      holder!.send('block 1500');
      expect((await holder!.next()).event).toBe('blocking');
      await expect(lockDataDir(dir)).rejects.toThrow(`(Ctrl-C in its terminal, or kill ${holder!.child.pid})`);
      expect((await holder!.next()).event).toBe('unblocked');
      holder!.child.kill('SIGKILL');
      await new Promise((resolve) => holder!.child.once('exit', resolve));
      racers.shift();

      expect(fs.statSync(lockPaths(dir).socket).isSocket()).toBe(true); // left behind
      const lock = await lockDataDir(dir);
      expect(JSON.parse(fs.readFileSync(lockPaths(dir).json, 'utf8'))).toMatchObject({ pid: process.pid });
      await lock.release();
    });

    it('lets exactly one of several processes racing for a free or a stale lock win', async () => {
      for (let round = 0; round < 6; round++) {
        const dir = freshDir();
        if (round % 2 === 1) await staleSocket(lockPaths(dir).socket);
        for (const r of racers) r.send(`lock ${dir}`);
        const results = await Promise.all(racers.map((r) => r.next()));
        const winners = results.filter((e) => e.event === 'won');
        expect(winners, `round ${round}: ${JSON.stringify(results)}`).toHaveLength(1);
        for (const loser of results.filter((e) => e.event !== 'won')) {
          expect(loser.event).toBe('locked');
          expect(loser.message).toContain(`kill ${winners[0]!.pid})`);
        }
        const winner = racers.find((r) => r.child.pid === winners[0]!.pid)!;
        winner.send('release');
        expect((await winner.next()).event).toBe('released');
        expect(fs.existsSync(lockPaths(dir).socket)).toBe(false);
      }
    });
  });
});

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { withTakeoverGuard } from './takeoverGuard.js';

/**
 * One process at a time per embedded data directory. Two PGlite instances on one directory each
 * keep their own view of its files and write over each other: the database is then damaged for
 * good (every later start fails with `RuntimeError: Aborted()`).
 *
 * The lock is a Unix domain socket that its holder listens on, `<dir>.lock` beside the directory
 * (initdb wants the directory to itself). The kernel answers for the holder: while it lives, even
 * with its event loop blocked by a long PGlite statement or stopped by Ctrl-Z, a connect() succeeds
 * (the listen backlog); once it is gone, even by SIGKILL, a connect() is refused at once. So there
 * is no heartbeat and no staleness timeout. Beside it, `<dir>.lock.json` says who holds it, for the
 * sentence that a refused process prints.
 *
 * Known limit: a socket file says nothing across machines. A data directory on a network file
 * system shared by two hosts is not protected (the other host's holder looks dead from here).
 */

/** Who holds the lock, as written to `<dir>.lock.json`. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** The CLI command (`serve`, `migrate`, `keys create`, …), when the opener said. */
  command?: string;
  started_at: string;
  /** The server's address, once it listens. */
  url?: string;
  /** Set when the holder begins to shut down: the lock is released within seconds. */
  stopping?: boolean;
}

export interface LockOptions {
  /** The CLI command opening the database, recorded for a refused process to read. */
  command?: string;
  /** How the directory is named in a refusal (default: "the data directory <dir>"). */
  name?: string;
  /** The refusal's advice after "stop that process first (…)" (default: "or give this one another DATA_DIR"). */
  advice?: string;
}

export interface DataDirLock {
  /** Updates the holder's description: its URL once it listens, `stopping` when shutdown begins. */
  update(change: Pick<LockHolder, 'url' | 'stopping'>): void;
  /** Removes the description and closes the socket (which unlinks it). Safe to call twice. */
  release(): Promise<void>;
}

/** The directory is held by a live process; the message is one sentence saying who and what to do. */
export class DataDirLockedError extends Error {
  constructor(message: string, readonly holder: LockHolder | undefined) {
    super(message);
    this.name = 'DataDirLockedError';
  }
}

/** How often a refused starter looks again for the holder's description. */
const DESCRIPTION_POLL_MS = 20;
/** How long a socket must refuse connections before it is taken for a dead holder's, and how often it is asked. */
const STALE_CONFIRM_MS = 250;
const STALE_POLL_MS = 25;
/** Linux's sun_path holds 108 bytes with the terminating NUL; Node silently truncates longer paths. */
const MAX_SOCKET_PATH_BYTES = 107;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const errCode = (err: unknown): string | undefined => (err as { code?: string }).code;

export function lockPaths(dir: string): { socket: string; json: string; guard: string } {
  const socket = `${path.resolve(dir)}.lock`;
  return { socket, json: `${socket}.json`, guard: `${socket}.takeover` };
}

/** Takes the lock on `dir` for this process, or throws DataDirLockedError naming the holder. */
export async function lockDataDir(dir: string, opts: LockOptions = {}): Promise<DataDirLock> {
  const paths = lockPaths(dir);
  fs.mkdirSync(path.dirname(paths.socket), { recursive: true });
  const address = socketAddress(paths.socket);
  let server: net.Server;
  try {
    server = await claim(address.path, paths, opts);
  } catch (err) {
    address.close();
    throw err;
  }
  const holder: LockHolder = {
    pid: process.pid, hostname: os.hostname(), ...(opts.command ? { command: opts.command } : {}), started_at: new Date().toISOString(),
  };
  writeHolder(paths.json, holder);
  let released: Promise<void> | undefined;
  return {
    update(change) {
      if (released) return;
      Object.assign(holder, change);
      writeHolder(paths.json, holder);
    },
    release() {
      released ??= (async () => {
        // The description first: once the socket is gone, the next holder writes its own.
        fs.rmSync(paths.json, { force: true });
        await new Promise<void>((resolve) => server.close(() => resolve()));
        address.close();
      })();
      return released;
    },
  };
}

/**
 * The path to bind: the socket's own, or when that is too long for sun_path, the same file reached
 * through this process's descriptor of its directory (/proc/self/fd/N/…, short whatever the path).
 * The descriptor stays open until the socket is closed, since closing unlinks through it.
 */
function socketAddress(socket: string): { path: string; close(): void } {
  if (Buffer.byteLength(socket) <= MAX_SOCKET_PATH_BYTES) return { path: socket, close: () => undefined };
  if (!fs.existsSync('/proc/self/fd')) {
    throw new Error(`the lock socket path ${socket} is longer than ${MAX_SOCKET_PATH_BYTES} bytes, which Unix sockets cannot bind here; use a shorter DATA_DIR`);
  }
  const fd = fs.openSync(path.dirname(socket), 'r');
  return { path: `/proc/self/fd/${fd}/${path.basename(socket)}`, close: () => fs.closeSync(fd) };
}

/** Listens on the socket: at once when it is free, after a take-over when its holder died. */
async function claim(address: string, paths: ReturnType<typeof lockPaths>, opts: LockOptions): Promise<net.Server> {
  // Each round ends in a listen, a refusal, or a change made by another process; a few suffice.
  for (let round = 0; round < 20; round++) {
    const server = await listen(address);
    if (server) return server;
    const state = await probe(address);
    if (state === 'held') throw await lockedError(paths.json, opts);
    if (state === 'stale') {
      const taken = await takeOver(address, paths);
      if (taken) return taken;
    }
    // 'gone' (its holder just closed it) or another starter won the take-over: look again.
  }
  throw new Error(`could not take the lock ${paths.socket}: it changed hands continually`);
}

/** A listening lock server, or null when the address is in use. */
function listen(address: string): Promise<net.Server | null> {
  // Nothing useful is served: each connection (a probe) is dropped. unref: the lock never keeps the process alive.
  const server = net.createServer((conn) => conn.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', (err) => (errCode(err) === 'EADDRINUSE' ? resolve(null) : reject(err)));
    server.listen(address, () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined);
      server.unref();
      resolve(server);
    });
  });
}

/** `held`: a process listens; `stale`: the file is left by a dead holder; `gone`: no file any more. */
function probe(address: string): Promise<'held' | 'stale' | 'gone'> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(address);
    conn.once('connect', () => {
      conn.destroy();
      resolve('held');
    });
    conn.once('error', (err) => {
      const code = errCode(err);
      if (code === 'ECONNREFUSED') resolve('stale');
      else if (code === 'ENOENT') resolve('gone');
      // A full backlog: the holder lives but has not accepted for a while (a long statement).
      else if (code === 'EAGAIN') resolve('held');
      else reject(err);
    });
  });
}

/**
 * Replaces a dead holder's socket. Two starters may find it dead together: the O_EXCL guard lets
 * one at a time check again and replace it, so the second sees the first one's live socket and is
 * refused, instead of unlinking it. A fresh starter that binds in the instant between unlink and
 * listen simply wins (our listen then fails and the caller looks again).
 */
async function takeOver(address: string, paths: ReturnType<typeof lockPaths>): Promise<net.Server | null> {
  return withTakeoverGuard(paths.guard, async () => {
    if (!(await deadFor(address, paths.socket, STALE_CONFIRM_MS))) return null;
    fs.rmSync(paths.socket, { force: true });
    return listen(address);
  });
}

/**
 * Whether the socket file refuses connections throughout `ms`, the same file all along. A starter that
 * has bound the socket but not yet listened refuses too (bind and listen are two system calls, and a
 * loaded machine can pause a process between them): taken for dead at once, its fresh socket was
 * unlinked and two processes held the lock. A dead holder's socket refuses for good.
 */
async function deadFor(address: string, socket: string, ms: number): Promise<boolean> {
  const ino = inodeOf(socket);
  const until = Date.now() + ms;
  for (;;) {
    const state = await probe(address);
    if (state === 'held' || inodeOf(socket) !== ino) return false;
    if (state === 'gone' || Date.now() >= until) return true;
    await sleep(STALE_POLL_MS);
  }
}

function inodeOf(file: string): number | null {
  try {
    return fs.statSync(file).ino;
  } catch {
    return null;
  }
}

/** Written whole and renamed into place, so a reader never sees half a description. */
function writeHolder(file: string, holder: LockHolder): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(holder)}\n`);
  fs.renameSync(tmp, file);
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
    return typeof h.pid === 'number' ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The refusal. A holder writes its description just after it listens, and a killed holder leaves
 * its own behind: while the description names no live process of this host, wait a moment for the
 * new one.
 */
async function lockedError(json: string, opts: LockOptions): Promise<DataDirLockedError> {
  let holder = readHolder(json);
  for (let i = 0; i < 25 && !(holder && isAlive(holder)); i++) {
    await sleep(DESCRIPTION_POLL_MS);
    holder = readHolder(json);
  }
  const name = opts.name ?? `the data directory ${path.resolve(json.slice(0, -'.lock.json'.length))}`;
  return new DataDirLockedError(refusal(name, holder, opts.advice), holder);
}

function isAlive(holder: LockHolder): boolean {
  if (holder.hostname !== os.hostname()) return true; // cannot tell from here
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return errCode(err) === 'EPERM';
  }
}

/** "DATA_DIR /x is in use by `loginsights serve` (pid 1234, http://…, since 2026-10-10 03:12 UTC): stop that process first …" */
export function refusal(name: string, holder: LockHolder | undefined, advice = 'or give this one another DATA_DIR'): string {
  if (!holder) return `${name} is in use by another process: stop it first, ${advice}.`;
  const who = holder.command ? `\`loginsights ${holder.command}\`` : 'another process';
  const since = holder.started_at.slice(0, 16).replace('T', ' ');
  const details = [`pid ${holder.pid}`, holder.hostname !== os.hostname() ? `on ${holder.hostname}` : '', holder.url ?? '', `since ${since} UTC`];
  const what = `${name} is in use by ${who} (${details.filter(Boolean).join(', ')})`;
  if (holder.stopping) return `${what}, which is shutting down: try again in a few seconds.`;
  return `${what}: stop that process first (Ctrl-C in its terminal, or kill ${holder.pid}), ${advice}.`;
}

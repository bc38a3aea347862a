import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What `ship` remembers of a followed file between runs. */
export interface StreamState {
  /** The name the server knows the file by: host and fingerprint. */
  stream: string;
  /** sha256 of the file's first line (at most 1 KiB of it): the file's identity through renames and copies. */
  fingerprint: string;
  /** Where it was last seen, and as which file. */
  path: string;
  dev: number;
  ino: number;
  /** The server has every byte before this one. */
  offset: number;
  /** When it was last read (ms): files gone for a week are forgotten. */
  seenAt: number;
  /** Read to its end and let go (renamed away and settled, or gone): not looked for again. */
  ended?: boolean;
}

interface StateFile {
  version: 1;
  server: string;
  source: string;
  streams: StreamState[];
}

const FORGET_MS = 7 * 24 * 3600_000;

/** `$XDG_STATE_HOME/loginsights`, else `~/.local/state/loginsights`. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'loginsights');
}

export class ShipStateError extends Error {}

/**
 * The read offsets of one `ship` (one server and source) in the state directory, and the lock that
 * keeps a second `ship` of the same server and source from sharing them. Saved by rename, so a crash
 * leaves the old state or the new one; it need not be fsynced: an offset lost sends its lines again,
 * and the server takes each byte of a stream once.
 */
export class ShipState {
  private readonly file: string;
  private readonly lock: string;
  private constructor(private readonly server: string, private readonly source: string, dir: string) {
    const name = crypto.createHash('sha256').update(`${server}\n${source}`).digest('hex').slice(0, 16);
    this.file = path.join(dir, `ship-${name}.json`);
    this.lock = `${this.file}.lock`;
  }

  /** Takes the lock (or says which process holds it) and reads what an earlier run saved. */
  static open(dir: string, server: string, source: string): { state: ShipState; streams: StreamState[] } {
    fs.mkdirSync(dir, { recursive: true });
    const state = new ShipState(server, source, dir);
    state.takeLock();
    let streams: StreamState[] = [];
    try {
      const saved = JSON.parse(fs.readFileSync(state.file, 'utf8')) as StateFile;
      if (saved.version === 1 && Array.isArray(saved.streams)) streams = saved.streams;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ShipStateError(`${state.file} cannot be read (${(err as Error).message}); move it away to start over (its files are then sent again)`);
      }
    }
    return { state, streams };
  }

  get path(): string {
    return this.file;
  }

  save(streams: Iterable<StreamState>, now = Date.now()): void {
    const kept = [...streams].filter((s) => now - s.seenAt < FORGET_MS);
    const body: StateFile = { version: 1, server: this.server, source: this.source, streams: kept };
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(body)}\n`);
    fs.renameSync(tmp, this.file);
  }

  release(): void {
    fs.rmSync(this.lock, { force: true });
  }

  private takeLock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(this.lock, String(process.pid), { flag: 'wx' });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = Number(fs.readFileSync(this.lock, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new ShipStateError(`another ship (pid ${pid}) sends this source to this server with the state in ${this.file}; stop it first, or give --state-dir`);
      }
      fs.rmSync(this.lock, { force: true });
    }
    throw new ShipStateError(`cannot take the lock ${this.lock}`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

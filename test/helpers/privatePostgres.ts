import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../../bench/serverProcess.js';
import { requirement } from './env.js';

const run = promisify(execFile);

/** PostgreSQL 15 server binaries (Debian/Ubuntu layout; PG_BIN_DIR overrides it). */
export const PG_BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/** A private cluster needs the server binaries, not only a running server. */
export const postgresBinaries = requirement(
  'PostgreSQL 15 server binaries',
  ['initdb', 'pg_ctl', 'postgres'].every((b) => fs.existsSync(path.join(PG_BIN_DIR, b))),
  `initdb, pg_ctl and postgres are not in ${PG_BIN_DIR} (apt-get install postgresql-15, or set PG_BIN_DIR)`,
);

/**
 * A throw-away PostgreSQL cluster owned by one test, so that the test may stop and start it while
 * other tests keep using the machine's shared server. Trust authentication, on 127.0.0.1 and a unix
 * socket in its own directory only.
 */
export interface PrivatePostgres {
  port: number;
  /** URL of a database on this cluster (`postgres` unless named). */
  url(database?: string): string;
  /** Starts the server and waits until it accepts connections. */
  start(): Promise<void>;
  /** `fast`: backends are told to exit (57P01) and the server checkpoints; `immediate`: no checkpoint, crash recovery on the next start. */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  /** Creates a database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (if running) and deletes its files. */
  destroy(): Promise<void>;
  /** The server's log, for failure messages. */
  log(): string;
}

/**
 * initdb refuses to run as root, and the server must not run as root either: as root, every command
 * runs as the `postgres` OS user (runuser) in a directory it owns. As anyone else, as that user.
 */
function asServerUser(): { wrap: (cmd: string, args: string[]) => [string, string[]]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { wrap: (cmd, args) => [cmd, args] };
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, and there is no `postgres` OS user to run PostgreSQL as');
  const [, , uid, gid] = line.split(':');
  return { wrap: (cmd, args) => ['runuser', ['-u', 'postgres', '--', cmd, ...args]], uid: Number(uid), gid: Number(gid) };
}

/** Server settings (postgresql.conf names and values) on top of the helper's own. */
export type ServerSettings = Record<string, string | number>;

export async function startPrivatePostgres(settings: ServerSettings = {}): Promise<PrivatePostgres> {
  const user = asServerUser();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'li-private-pg-'));
  if (user.uid !== undefined) fs.chownSync(root, user.uid, user.gid!);
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  const port = await freePort();
  const exec = async (bin: string, args: string[], timeoutMs = 60_000): Promise<string> => {
    const [cmd, argv] = user.wrap(path.join(PG_BIN_DIR, bin), args);
    try {
      const { stdout, stderr } = await run(cmd, argv, { cwd: root, timeout: timeoutMs });
      return stdout + stderr;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${bin} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}\n${readLog()}`, { cause: err });
    }
  };
  const readLog = (): string => {
    try {
      return fs.readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  await exec('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  // Its own port and socket directory, so nothing collides with the machine's server. No fsync and no
  // full-page images: they guard against an operating-system crash, which a test does not survive
  // anyway; a stopped or killed server (even `-m immediate`) still recovers exactly as in production.
  // Commits stay synchronous, as the service expects of every commit but its batches'.
  fs.appendFileSync(path.join(dataDir, 'postgresql.conf'), [
    '',
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${root}'`,
    'fsync = off',
    'full_page_writes = off',
    'max_connections = 50',
    ...Object.entries(settings).map(([name, value]) => `${name} = '${value}'`),
    '',
  ].join('\n'));

  let running = false;
  const cluster: PrivatePostgres = {
    port,
    url: (database = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      await exec('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
      running = true;
    },
    async stop(mode) {
      await exec('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: cluster.url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return cluster.url(name);
    },
    async destroy() {
      if (running) await cluster.stop('immediate').catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
    },
    log: readLog,
  };
  await cluster.start();
  return cluster;
}

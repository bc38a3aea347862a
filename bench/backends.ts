/**
 * A fresh, empty store per measurement: a new PostgreSQL database (created through the admin URL and
 * dropped afterwards) or a new PGlite data directory in a scratch dir. The server applies the
 * migrations itself when it starts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Db, DbKind } from '../src/db/db.js';
import { openPglite } from '../src/db/pglite.js';
import { openPostgres } from '../src/db/postgres.js';

export interface FreshStore {
  kind: DbKind;
  /** Scratch directory: the server's DATA_DIR (spool, and the PGlite files) and working directory. */
  scratchDir: string;
  /** The PostgreSQL database's name; null for PGlite. */
  databaseName: string | null;
  /** Environment for the server process. */
  env: Record<string, string>;
  /** Opens the store in this process (PGlite: only once the server has exited). No statement timeout. */
  openDirect(): Promise<Db>;
  /** Drops the database / removes the scratch directory. */
  dispose(): Promise<void>;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function withAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function postgresVersion(adminUrl: string): Promise<string> {
  return withAdmin(adminUrl, async (c) => (await c.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v.split(' on ')[0] ?? 'unknown');
}

export async function createFreshStore(kind: DbKind, opts: { scratchRoot: string; adminUrl: string }): Promise<FreshStore> {
  const tag = `${Date.now()}_${crypto.randomBytes(3).toString('hex')}`;
  const scratchDir = path.join(opts.scratchRoot, `loginsights-bench-${kind}-${tag}`);
  fs.mkdirSync(scratchDir, { recursive: true });
  const dataDir = path.join(scratchDir, 'data');
  const removeScratch = async (): Promise<void> => fs.promises.rm(scratchDir, { recursive: true, force: true });

  if (kind === 'pglite') {
    return {
      kind, scratchDir, databaseName: null,
      env: { DATA_DIR: dataDir },
      openDirect: () => openPglite({ dataDir: path.join(dataDir, 'pglite'), statementTimeoutMs: 0 }),
      dispose: removeScratch,
    };
  }
  // Database names come from our own tag (digits, hex), never from input.
  const name = `loginsights_bench_${tag}`;
  await withAdmin(opts.adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(opts.adminUrl, name);
  return {
    kind, scratchDir, databaseName: name,
    env: { DATA_DIR: dataDir, DATABASE_URL: url },
    openDirect: () => openPostgres({ connectionString: url, statementTimeoutMs: 0, maxConnections: 2 }),
    async dispose() {
      await withAdmin(opts.adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await removeScratch();
    },
  };
}

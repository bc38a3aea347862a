import crypto from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';
import type { Db, DbKind } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrator.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import { needs, requirement, TEST_DATABASE_URL, type Requirement } from './env.js';

/** The PostgreSQL server the `postgres` variant of every database suite runs on (required in CI). */
export const postgres = requirement('PostgreSQL', TEST_DATABASE_URL !== undefined, 'TEST_DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres; .ci/run sets it)');

/**
 * Declares a suite once per backend (`%s` in `name` is the backend): the PostgreSQL one is skipped, with
 * its reason, where TEST_DATABASE_URL is not set, and both where another of `requirements` is missing.
 */
export function describeBackends(name: string, ...args: [(kind: DbKind) => void] | [Requirement[], (kind: DbKind) => void]): void {
  const [requirements, body] = args.length === 1 ? [[], args[0]] : args;
  for (const kind of ['pglite', 'postgres'] as const) {
    const all = kind === 'postgres' ? [...requirements, postgres] : requirements;
    describe(name.replace('%s', kind), needs(...all), () => body(kind));
  }
}

/** URL of the same server with another database name. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A fresh PostgreSQL database cloned from the migrated template built in globalSetup (fast: no
 * migrations per test file). Returns its URL.
 */
export async function createPostgresDatabase(): Promise<string> {
  const base = TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const template = inject('pgTemplate');
  const name = `${template}_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  return withDatabase(base, name);
}

/** A fresh, migrated database of the given kind. */
export async function openTestDb(kind: DbKind): Promise<Db> {
  if (kind === 'postgres') {
    return openPostgres({ connectionString: await createPostgresDatabase(), statementTimeoutMs: 30_000 });
  }
  const db = await openPglite({ dataDir: undefined, statementTimeoutMs: 30_000 });
  await migrate(db);
  return db;
}

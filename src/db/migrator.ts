import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
/** Arbitrary constant: the advisory lock every migrator takes so that only one applies a migration. */
const MIGRATION_LOCK_KEY = 7_402_001;

/**
 * Reads migrations/NNNN_name.sql in version order. Two files of one version (a renamed migration left
 * behind in a build, two branches that took the same number) are refused: which one ran would be
 * decided by their names' order, and the schema would silently lack the other.
 */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: fs.readFileSync(path.join(dir, file), 'utf8'),
    }));
  for (const [i, m] of migrations.entries()) {
    const before = migrations[i - 1];
    if (before?.version === m.version) {
      throw new Error(`${dir}: migrations ${before.name} and ${m.name} have the same version ${m.version}; rename one, or rebuild if one is a stale copy`);
    }
  }
  return migrations;
}

/**
 * Applies the migrations not yet recorded, each in its own transaction under an advisory lock,
 * so several processes starting at once apply each exactly once. Returns the versions applied.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<number[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`).catch(async (err: unknown) => {
    // Two processes creating the table at once: one wins, the other sees a unique violation.
    if ((err as { code?: string }).code !== '23505') throw err;
  });
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (seen.rowCount > 0) return false;
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      await tx.exec(m.sql);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}

/**
 * True when every known migration version is recorded (readiness check). The caller reads the versions
 * once (loadMigrations at start): a probe that hits /readyz every second must not read the directory.
 */
export async function migrationsApplied(db: Db, versions: readonly number[]): Promise<boolean> {
  const res = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  const have = new Set(res.rows.map((r) => r.version));
  return versions.every((v) => have.has(v));
}

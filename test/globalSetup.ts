import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'vite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../src/db/migrator.js';
import { openPostgres } from '../src/db/postgres.js';
import { REPO_ROOT } from './helpers/env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
  }
}

/** Builds one migrated PostgreSQL template database; each test file clones it (CREATE DATABASE … TEMPLATE). */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  await buildDashboard();
  const base = process.env.TEST_DATABASE_URL;
  if (!base) {
    project.provide('pgTemplate', '');
    return undefined;
  }
  const name = `li_template_${crypto.randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = await openPostgres({ connectionString: url.toString(), statementTimeoutMs: 60_000 });
  await migrate(db);
  await db.close();
  project.provide('pgTemplate', name);
  return async () => {
    // Drop the template and every database cloned from it in this run (clones are named after it).
    const res = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1 || '%'`, [name]);
    res.rows.sort((a, b) => b.datname.length - a.datname.length); // clones before their template
    for (const { datname } of res.rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await admin.end();
  };
}

/**
 * Builds the dashboard into dist/ui, as `npm run build` does, so the server under test serves the
 * current src/ui. Built beside it and swapped in, so a test run elsewhere never sees it half-written.
 */
async function buildDashboard(): Promise<void> {
  const outDir = path.join(REPO_ROOT, 'dist', `ui.build-${process.pid}`);
  await build({ configFile: path.join(REPO_ROOT, 'vite.config.ts'), build: { outDir, emptyOutDir: true } });
  const target = path.join(REPO_ROOT, 'dist', 'ui');
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(outDir, target);
}

import crypto from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../src/db/migrator.js';
import { openPostgres } from '../src/db/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
  }
}

/** Builds one migrated PostgreSQL template database; each test file clones it (CREATE DATABASE … TEMPLATE). */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
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

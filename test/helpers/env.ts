import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Real public logs beside the project (read-only; never copied into the repository). */
export const SHARED_DATA = path.resolve(REPO_ROOT, '../shared/data');

/** Under CI=true a suite that needs something missing fails instead of skipping. */
export const IN_CI = process.env.CI === 'true';

/** `--import` argument that lets a child node process run the TypeScript sources from any working directory. */
export const TSX_IMPORT = pathToFileURL(path.join(REPO_ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

export function requireInCi(available: boolean, what: string): boolean {
  if (!available && IN_CI) throw new Error(`${what} is required under CI=true but is not available`);
  return available;
}

declare module '@vitest/runner' {
  interface TaskMeta {
    /** Why the suite or test was skipped: what it needs and how to get it (printed by test/helpers/skipReport.ts). */
    skipReason?: string;
  }
}

/** Something a suite needs that a machine may lack: a database, a browser, a binary, a folder. */
export interface Requirement {
  /** What it is, as a person names it: "Chromium", "PostgreSQL". */
  name: string;
  available: boolean;
  /** Why it is missing here and how to get it: "not found; apt-get install chromium". */
  missing: string;
}

/** A requirement; under CI=true a missing one fails the run instead (every suite is required there). */
export function requirement(name: string, available: boolean, missing: string): Requirement {
  requireInCi(available, `${name} (${missing})`);
  return { name, available, missing };
}

/**
 * Options for a `describe` or `it` that needs `requirements`: run when all are there, else skipped with
 * the reason in its meta, which the run's last lines print (one line per skipped suite).
 */
export function needs(...requirements: Requirement[]): { skip: boolean; meta: { skipReason?: string } } {
  const lacking = requirements.filter((r) => !r.available);
  if (lacking.length === 0) return { skip: false, meta: {} };
  return { skip: true, meta: { skipReason: lacking.map((r) => `needs ${r.name}: ${r.missing}`).join('; ') } };
}

export const sharedData = requirement('../shared/data', fs.existsSync(SHARED_DATA), `the real public logs are not beside this clone (${SHARED_DATA})`);
export const hasSharedData = sharedData.available;

export function sharedFile(rel: string): string {
  return path.join(SHARED_DATA, rel);
}

/** The bootstrap admin key (ADMIN_API_KEY) of every service a test starts. */
export const TEST_ADMIN_KEY = 'li_test_admin_key_0123456789abcdefghijklmnopqrstuv';
export const ADMIN_HEADERS = { authorization: `Bearer ${TEST_ADMIN_KEY}` } as const;
/** SECRET_KEY for services on PostgreSQL (required there with auth on). */
export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdef';

/** `npm run soak`: the same fault and fuzz tests, longer (more runs, more kills, bigger files). */
export const SOAK = process.env.SOAK === 'true';

#!/usr/bin/env node
/**
 * What `npm start` builds before serving: only what changed since the last build. `npm run build`
 * still builds everything.
 * - TypeScript: tsc's incremental build (tsconfig.build.json keeps its build info in dist/), which
 *   re-emits the changed files only.
 * - Migrations: copied (a few small files).
 * - The dashboard bundle: rebuilt only when a source file, the Vite config or the lockfile is newer
 *   than the bundle (the dashboard imports from src/domain and src/parse too, so all of src/ counts).
 */
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const UI_INPUTS = ['src', 'vite.config.ts', 'package-lock.json'];
const BUNDLE = 'dist/ui/index.html';

const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

/** Newest modification time under a file or directory, in ms; 0 when it does not exist. */
export function newestMtimeMs(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file changes its directory's time
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtimeMs(path.join(p, entry)));
  return newest;
}

/** Whether the dashboard bundle is older than anything it is built from (or missing). */
export function dashboardStale(dir = root) {
  const built = newestMtimeMs(path.join(dir, BUNDLE));
  return built === 0 || UI_INPUTS.some((input) => newestMtimeMs(path.join(dir, input)) > built);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  run(bin('tsc'), ['-p', 'tsconfig.build.json']);
  // Replaced, not merged: a migration renamed in src must not stay behind in dist under its old name.
  fs.rmSync(path.join(root, 'dist/src/db/migrations'), { recursive: true, force: true });
  fs.cpSync(path.join(root, 'src/db/migrations'), path.join(root, 'dist/src/db/migrations'), { recursive: true });
  if (dashboardStale()) {
    run(bin('vite'), ['build', '--logLevel', 'warn']);
    console.log('dashboard: built (dist/ui)');
  } else console.log('dashboard: up to date (dist/ui)');
}

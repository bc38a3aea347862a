import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardStale } from '../scripts/build.mjs';

/** A tree as the build sees it: a source file and, optionally, a built bundle; times in seconds since the epoch. */
function tree(times: { source: number; vite?: number; bundle?: number }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'start-build-'));
  const write = (rel: string, at: number): void => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
    // The file and the directories it made: a directory's time counts too (a deleted file changes it).
    for (let p = file; p !== dir; p = path.dirname(p)) fs.utimesSync(p, at, at);
  };
  if (times.bundle !== undefined) write('dist/ui/index.html', times.bundle);
  if (times.vite !== undefined) write('vite.config.ts', times.vite);
  write('src/ui/main.ts', times.source);
  return dir;
}

describe('npm start builds only what changed (scripts/build.mjs)', () => {
  it('rebuilds the dashboard when it is missing or older than a source file or the Vite config, and not otherwise', () => {
    expect(dashboardStale(tree({ source: 1_000 }))).toBe(true);
    expect(dashboardStale(tree({ source: 2_000, bundle: 1_000 }))).toBe(true);
    expect(dashboardStale(tree({ source: 1_000, vite: 3_000, bundle: 2_000 }))).toBe(true);
    expect(dashboardStale(tree({ source: 1_000, vite: 1_000, bundle: 2_000 }))).toBe(false);
  });
});

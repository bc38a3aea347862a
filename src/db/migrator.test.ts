import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadMigrations } from './migrator.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function migrationsDir(files: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-migrations-'));
  dirs.push(dir);
  for (const f of files) fs.writeFileSync(path.join(dir, f), `-- ${f}\nSELECT 1;\n`);
  return dir;
}

it('reads the migrations in version order, and nothing else in the folder', () => {
  const dir = migrationsDir(['0002_b.sql', '0001_a.sql', 'README.md', '0003_c.sql.orig']);
  expect(loadMigrations(dir).map((m) => [m.version, m.name])).toEqual([[1, 'a'], [2, 'b']]);
});

it('refuses two migrations of one version, naming both (a renamed one left behind in a build)', () => {
  const dir = migrationsDir(['0001_a.sql', '0002_old_name.sql', '0002_new_name.sql']);
  expect(() => loadMigrations(dir)).toThrow(/new_name and old_name have the same version 2/);
});

it('the project\'s own migrations have one file per version', () => {
  expect(loadMigrations().length).toBeGreaterThan(15);
});

import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/env.js';

/**
 * Nothing is skipped in silence: vitest itself, run on a fixture with the project's reporters, ends
 * with one line per skipped suite under the reason it needs, and counts the skips that give none.
 */
describe('the skip report', () => {
  it('names each skipped suite under what it needs, and counts the rest', () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'CI' && !k.startsWith('VITEST')));
    const res = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/skipReport/vitest.config.ts'], {
      cwd: REPO_ROOT, env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' }, encoding: 'utf8', timeout: 120_000,
    });
    expect(res.status, res.stdout + res.stderr).toBe(0);
    const report = res.stdout.slice(res.stdout.indexOf('Skipped ')).trimEnd().split('\n');
    expect(report).toEqual([
      'Skipped 3 of 4 tests:',
      '  2 tests, needs a unicorn: none in /dev/stable (apt-get install unicorn)',
      '    skipped test/fixtures/skipReport/needs.fixture.ts › grazing (2 tests)',
      '  1 test by .skip, .todo, .only or a name filter',
      '  (under CI=true each of these is required: a missing one fails the run)',
    ]);
  });

  it('is the only way a suite skips: no runIf, skipIf or .skip without a reason in the tests', () => {
    // git grep over tracked test files; exit code 1 means no match.
    const found = spawnSync('git', ['grep', '-nE', String.raw`\.(runIf|skipIf)\(|\b(describe|it|test)\.skip\(`, '--', '*.test.ts'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(found.status, found.stderr).toBe(1);
    expect(found.stdout).toBe('');
    expect(execFileSync('git', ['grep', '-c', 'needs(', '--', '*.test.ts'], { cwd: REPO_ROOT, encoding: 'utf8' })).not.toBe('');
  });
});

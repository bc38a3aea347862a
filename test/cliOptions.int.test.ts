import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../src/config/config.js';
import { REPO_ROOT, TSX_IMPORT } from './helpers/env.js';

/** The CLI in its own process, as a user runs it; none of these commands needs a server or a database. */
function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, ['--import', TSX_IMPORT, path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('loginsights CLI options', () => {
  it('--version prints the version in package.json', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(cli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('serve --help lists every setting of the configuration with its default', () => {
    const res = cli(['serve', '--help']);
    expect(res.code).toBe(0);
    for (const name of Object.keys(envSchema.shape)) expect(res.stdout).toMatch(new RegExp(`^ {2}${name} +\\S+ +\\S`, 'm'));
    expect(res.stdout).toMatch(/^ {2}PORT +8000 +port to listen on/m);
    expect(res.stdout).toMatch(/^ {2}DATABASE_URL +unset +/m);
    expect(res.stdout).toMatch(/^ {2}LOG_LEVEL +info +.*: fatal, error, warn, info, debug, trace, silent$/m);
  });

  it.each(['rollups', 'routes'])('%s rebuild with --from after --to stops with one line naming both, before opening the database', (what) => {
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'li-cli-range-')), 'data');
    const res = cli([what, 'rebuild', '--from', '2026-10-05', '--to', '2026-10-01'], { DATA_DIR: dataDir });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/--from \(2026-10-05T00:00:00\.000Z\) must be before --to \(2026-10-01T00:00:00\.000Z\)/);
    expect(fs.existsSync(dataDir)).toBe(false);
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });
});

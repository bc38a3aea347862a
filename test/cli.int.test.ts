import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TEST_ADMIN_KEY, TSX_IMPORT } from './helpers/env.js';
import { spawnServer, type ServerProcess } from './helpers/serverProcess.js';

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, ['--import', TSX_IMPORT, path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH ?? '', LOGINSIGHTS_API_KEY: TEST_ADMIN_KEY, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('loginsights CLI', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-cli-'));
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ DATA_DIR: path.join(dir, 'data') });
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ingest uploads files, waits for their jobs and prints the counts', () => {
    const file = path.join(dir, 'access.log');
    const ok = '203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET /a?b=1 HTTP/1.1" 200 512 "-" "curl/8.5"';
    fs.writeFileSync(file, `${ok}\n\nnot a log line\n${ok.replace('/a?', '/c?')}\n`);
    const res = cli(['ingest', file, '--server', server.url, '--source', 'cli-test', '--tz', 'europe/berlin']);
    expect(res.stderr + res.stdout).toMatch(/succeeded/);
    expect(res.stdout).toMatch(/, tz Europe\/Berlin,/); // passed on, and named as the server resolved it
    expect(res.stdout).toMatch(/2 lines ingested \(2 records\), 1 rejected, 1 empty/);
    // Grouped by reason code, with the first line's detail.
    expect(res.stdout).toContain("1 rejected: line does not match the format [layout_mismatch] (first at line 3: nginx_combined: expected ' - ' after $remote_addr (column 1))");
    expect(res.stdout).toMatch(/rejected lines: http:\/\/127\.0\.0\.1:\d+\/ingest\/jobs\/[0-9a-f-]+\/rejected/);
    expect(res.code).toBe(0);

    const again = cli(['ingest', file, '--server', server.url, '--source', 'cli-test', '--no-progress']);
    expect(again.stdout).toMatch(/already uploaded as job/);
    expect(again.code).toBe(0);
  });

  it('ingest exits non-zero when the server refuses the upload', () => {
    const empty = path.join(dir, 'empty.log');
    fs.writeFileSync(empty, '');
    const res = cli(['ingest', empty, '--server', server.url, '--no-progress']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/400 the uploaded file is empty/);
  });

  it('migrate applies migrations once and then reports the database up to date', () => {
    const env = { DATA_DIR: path.join(dir, 'migrate-data') };
    expect(cli(['migrate'], env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/applied migrations: 1/) as unknown });
    expect(cli(['migrate'], env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/up to date/) as unknown });
  }, 180_000); // two cold PGlite starts (initdb, migrations): slow on a busy 2-core machine

  it('ingest without an API key fails with the server\'s 401', () => {
    const file = path.join(dir, 'noauth.log');
    fs.writeFileSync(file, '203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5"\n');
    const res = cli(['ingest', file, '--server', server.url, '--no-progress'], { LOGINSIGHTS_API_KEY: '' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/401 a valid API key is required/);
  });

  it('keys create/list/revoke manage keys on the database, and a created key works on the server', async () => {
    const env = { DATA_DIR: path.join(dir, 'keys-data'), ADMIN_API_KEY: '' };
    const created = cli(['keys', 'create', '--name', 'grafana', '--scopes', 'read'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = /\b(li_[A-Za-z0-9_-]{43})\b/.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    const listed = cli(['keys', 'list'], env);
    expect(listed.stdout).toMatch(new RegExp(`^\\d+\\t${key!.slice(0, 12)}\\tgrafana\\tread\\t`, 'm'));
    expect(cli(['keys', 'create', '--scopes', 'root'], env)).toMatchObject({ code: 1, stderr: expect.stringMatching(/--scopes: expected a comma list/) as unknown });

    const own = await spawnServer({ ...env });
    try {
      expect((await fetch(`${own.url}/logs`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      expect((await fetch(`${own.url}/ingest/jobs`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
      // A key existed, so the server generated no bootstrap key.
      expect(own.output()).not.toMatch(/an admin key was created/);
    } finally {
      own.child.kill('SIGTERM');
      await own.exited;
    }
    const id = /^(\d+)\t/m.exec(listed.stdout)![1]!;
    expect(cli(['keys', 'revoke', id], env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/revoked key/) as unknown });
    expect(cli(['keys', 'list'], env).stdout.trim()).toBe('');
  }, 300_000);

  it('keys revoke refuses the last active admin key in one sentence, and keeps it', () => {
    const env = { DATA_DIR: path.join(dir, 'last-admin-data'), ADMIN_API_KEY: '' };
    const created = cli(['keys', 'create', '--name', 'only admin'], env);
    expect(created.code, created.stderr).toBe(0);
    const id = /created key (\d+) /.exec(created.stdout)![1]!;
    const refused = cli(['keys', 'revoke', id], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      `loginsights: key ${id} is the last active admin key, so it stays: create another admin key first (keys create --scopes admin), then revoke this one`,
    ]);
    expect(cli(['keys', 'list'], env).stdout).toMatch(new RegExp(`^${id}\\t`, 'm'));
  }, 300_000);

  it('stops with one line naming a bad configuration variable', () => {
    const res = cli(['serve'], { PORT: 'eighty', DATA_DIR: path.join(dir, 'x') });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^loginsights: invalid configuration: PORT: /)]);
  });
});

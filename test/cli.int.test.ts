import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../bench/serverProcess.js';
import { postgres } from './helpers/db.js';
import { needs, REPO_ROOT, TEST_ADMIN_KEY, TEST_DATABASE_URL, TEST_SECRET_KEY, TSX_IMPORT } from './helpers/env.js';
import { spawnServer, suiteServer } from './helpers/serverProcess.js';

function cli(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, ['--import', TSX_IMPORT, path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH ?? '', LOGINSIGHTS_API_KEY: TEST_ADMIN_KEY, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Waits for a condition the test cannot await directly (output from a child process). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('loginsights CLI', () => {
  const suite = suiteServer('li-cli-');
  const dir = suite.dir;

  it('ingest uploads files with their names, waits for their jobs and prints the counts; a duplicate is not sent', async () => {
    const file = path.join(dir, 'access.log');
    const ok = '203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET /a?b=1 HTTP/1.1" 200 512 "-" "curl/8.5"';
    fs.writeFileSync(file, `${ok}\n\nnot a log line\n${ok.replace('/a?', '/c?')}\n`);
    const res = cli(['ingest', file, '--server', suite.process.url, '--source', 'cli-test', '--tz', 'europe/berlin']);
    expect(res.stderr + res.stdout).toMatch(/succeeded/);
    expect(res.stdout).toMatch(/, tz Europe\/Berlin,/); // passed on, and named as the server resolved it
    expect(res.stdout).toMatch(/2 lines ingested \(2 records\), 1 rejected, 1 empty/);
    // Grouped by reason code, with the first line's detail.
    expect(res.stdout).toContain("1 rejected: line does not match the format [layout_mismatch] (first at line 3: nginx_combined: expected ' - ' after $remote_addr (column 1))");
    expect(res.stdout).toMatch(/rejected lines: http:\/\/127\.0\.0\.1:\d+\/ingest\/jobs\/[0-9a-f-]+\/rejected/);
    expect(res.code).toBe(0);
    // Off a terminal (a pipe here): plain progress lines, none of cli-progress's raw placeholders or broken numbers.
    expect(res.stderr).toMatch(/^upload access\.log 100% /m);
    expect(res.stderr).not.toMatch(/\{\w+\}|NaN|Infinity/);
    const jobs = async (): Promise<{ file_name: string | null }[]> =>
      ((await (await fetch(`${suite.process.url}/ingest/jobs?source=cli-test`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } })).json()) as { items: { file_name: string | null }[] }).items;
    expect((await jobs()).map((j) => j.file_name)).toEqual(['access.log']);

    // The same content again: found by its hash before sending, so the server sees no second upload.
    const again = cli(['ingest', file, '--server', suite.process.url, '--source', 'cli-test']);
    expect(again.stdout).toMatch(/already uploaded as job/);
    expect(again.stderr).not.toMatch(/upload|lines\/s/);
    expect(again.code).toBe(0);
    expect(await jobs()).toHaveLength(1);
  });

  it('ingest reports a directory among the files in one line, ingests the others and exits non-zero', () => {
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    const file = path.join(dir, 'after-dir.log');
    fs.writeFileSync(file, '203.0.113.9 - - [10/Oct/2026:13:55:36 +0000] "GET /d HTTP/1.1" 200 5 "-" "curl/8.5"\n');
    const res = cli(['ingest', logs, file, '--server', suite.process.url, '--source', 'cli-dir', '--no-progress']);
    expect(res.stderr.trim().split('\n')).toEqual([`loginsights: ${logs}: is a directory, not a log file; name the files in it (${logs}/*.log)`]);
    expect(res.stdout).toMatch(/after-dir\.log: job [0-9a-f-]+ succeeded/);
    expect(res.code).toBe(1);
  });

  it('ingest against a stopped server says so in one line', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const file = path.join(dir, 'stopped.log');
    fs.writeFileSync(file, 'x\n');
    const res = cli(['ingest', file, '--server', url]);
    expect(res.stderr.trim().split('\n')).toEqual([`loginsights: no Log Insights server at ${url} (connection refused); start it with \`npm start\` or pass --server`]);
    expect(res.code).toBe(1);
  });

  it('serve logs JSON lines with ISO times when stdout is not a terminal: a start-up summary, then one event per request', async () => {
    // The upload above, once answered, is logged; anything logged for it on arrival came before that.
    await until(() => /"res":\{"statusCode":202\}.*"msg":"request completed"/.test(suite.process.output()));
    const events = suite.process.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.every((e) => typeof e.time === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.time))).toBe(true);
    expect(events.find((e) => e.msg === 'Log Insights is ready')?.startup).toMatchObject({
      url: suite.process.url, database: `embedded PGlite in ${path.join(dir, 'data', 'pglite')}`, auth: 'API keys (Authorization: Bearer <key>)',
    });
    expect(events.filter((e) => e.msg === 'request completed').length, suite.process.output()).toBeGreaterThan(1);
    expect(events.filter((e) => e.msg === 'incoming request')).toEqual([]);
  });

  it('ingest exits non-zero when the server refuses the upload', () => {
    const empty = path.join(dir, 'empty.log');
    fs.writeFileSync(empty, '');
    const res = cli(['ingest', empty, '--server', suite.process.url, '--no-progress']);
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
    const res = cli(['ingest', file, '--server', suite.process.url, '--no-progress'], { LOGINSIGHTS_API_KEY: '' });
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

    const own = await spawnServer({ ...env, LOG_FORMAT: 'pretty' });
    try {
      expect((await fetch(`${own.url}/logs`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      // LOG_FORMAT=pretty (a terminal's default): the start-up summary, and one line per request.
      await until(() => /GET \/logs 200 \d+ ms$/m.test(own.output()));
      const lines = own.output().split('\n');
      const ready = lines.findIndex((l) => /^\d\d:\d\d:\d\d INFO {2}Log Insights is ready$/.test(l));
      expect(lines.slice(ready + 1, ready + 5), own.output()).toEqual([
        `    url        ${own.url}`,
        `    database   embedded PGlite in ${path.join(dir, 'keys-data', 'pglite')}`,
        `    data dir   ${path.join(dir, 'keys-data')}`,
        '    auth       API keys (Authorization: Bearer <key>)',
      ]);
      expect(own.output()).toMatch(/^\d\d:\d\d:\d\d INFO {2}GET \/logs 200 \d+ ms$/m);
      expect(own.output()).not.toMatch(/incoming request|"level"/);
      expect((await fetch(`${own.url}/ingest/jobs`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(403);
      // A key existed, so the server generated no bootstrap key.
      expect(own.output()).not.toMatch(/an admin key was created/);
    } finally {
      own.child.kill('SIGTERM');
      await own.exited;
    }
    const id = /^(\d+)\t/m.exec(listed.stdout)![1]!;
    expect(cli(['keys', 'revoke', id], env)).toMatchObject({ code: 0, stdout: expect.stringMatching(/revoked key/) as unknown });
    const empty = cli(['keys', 'list'], env);
    expect(empty.stdout).toBe('');
    expect(empty.stderr.trim()).toBe('no active API keys; create one with `loginsights keys create --scopes admin`');
  }, 300_000);

  it('serve on a port in use stops in one line and creates no key; the next start prints the key, which keys revoke keeps', async () => {
    const env = { DATA_DIR: path.join(dir, 'fresh-data'), ADMIN_API_KEY: '' };
    const busy = net.createServer();
    const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as net.AddressInfo).port)));
    try {
      const res = cli(['serve'], { ...env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' });
      expect(res.code).not.toBe(0);
      expect(res.stderr.trim().split('\n')).toEqual([
        `loginsights: port ${port} on 127.0.0.1 is in use (another Log Insights? \`lsof -i :${port}\`); set PORT to another port or stop that process`,
      ]);
      expect(res.stdout).not.toMatch(/an admin key was created/);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }

    // Nothing was lost: the next start, on a free port, creates the first admin key and shows it.
    const own = await spawnServer(env);
    try {
      await until(() => /Log Insights is ready/.test(own.output()));
      expect(own.output()).toMatch(/an admin key was created/);
    } finally {
      own.child.kill('SIGTERM');
      await own.exited;
    }
    const listed = cli(['keys', 'list'], env);
    const id = /^(\d+)\t\S+\tbootstrap admin\tadmin\t/m.exec(listed.stdout)?.[1];
    expect(id, listed.stdout).toBeDefined();
    const refused = cli(['keys', 'revoke', id!], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      `loginsights: key ${id} is the last active admin key, so it stays: create another admin key first (keys create --scopes admin), then revoke this one`,
    ]);
    const unknown = cli(['keys', 'revoke', '9999'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim().split('\n')).toEqual(['loginsights: there is no active key 9999 (see keys list)']);
    expect(cli(['keys', 'list'], env).stdout).toMatch(new RegExp(`^${id}\\t`, 'm'));
  }, 300_000);

  it('keys revoke and keys create --scopes refuse a bad argument in one line, before opening the database', () => {
    const env = { DATA_DIR: path.join(dir, 'never-opened') };
    const notId = cli(['keys', 'revoke', 'abc'], env);
    expect(notId.code).not.toBe(0);
    expect(notId.stderr.trim().split('\n')).toEqual([expect.stringMatching(/'abc'.*a key id is a number \(see keys list\)$/)]);
    const typo = cli(['keys', 'create', '--scopes', 'read,raed'], env);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr.trim().split('\n')).toEqual([expect.stringMatching(/'read,raed'.*unknown scope raed; valid scopes: ingest, read, admin$/)]);
    expect(fs.existsSync(env.DATA_DIR)).toBe(false);
  });

  it('a DATABASE_URL whose port refuses connections stops serve in one line', async () => {
    const port = await freePort();
    const res = cli(['serve'], { DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/postgres`, SECRET_KEY: TEST_SECRET_KEY, PORT: '0' });
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split('\n')).toEqual([
      `loginsights: nothing accepts connections at 127.0.0.1:${port} (DATABASE_URL); start PostgreSQL there, correct the host and port, or unset DATABASE_URL to use the embedded database`,
    ]);
  });

  it('a DATABASE_URL naming a missing database or an unknown role stops in one line', needs(postgres), () => {
    const base = new URL(TEST_DATABASE_URL!);
    const noDb = new URL(base);
    noDb.pathname = '/loginsights_no_such_db';
    const db = cli(['migrate'], { DATABASE_URL: noDb.href, SECRET_KEY: TEST_SECRET_KEY });
    expect(db.code).not.toBe(0);
    expect(db.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^loginsights: PostgreSQL at \S+ has no database "loginsights_no_such_db"; create it \(createdb .*loginsights_no_such_db\) or name another in DATABASE_URL$/),
    ]);
    const noRole = new URL(base);
    noRole.username = 'loginsights_no_such_role';
    noRole.password = '';
    const role = cli(['migrate'], { DATABASE_URL: noRole.href, SECRET_KEY: TEST_SECRET_KEY });
    expect(role.code).not.toBe(0);
    expect(role.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^loginsights: PostgreSQL at \S+ refused user "loginsights_no_such_role": .+; create the role \(createuser .*\) or name another user in DATABASE_URL$/),
    ]);
  });

  it('stops with one line naming a bad configuration variable', () => {
    const res = cli(['serve'], { PORT: 'eighty', DATA_DIR: path.join(dir, 'x') });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^loginsights: invalid configuration: PORT: /)]);
  });
});

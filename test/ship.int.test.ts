import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from './helpers/db.js';
import { REPO_ROOT, TEST_ADMIN_KEY, TSX_IMPORT } from './helpers/env.js';
import { accessLines, linesSummary, storedSummary, until } from './helpers/liveLines.js';
import { startTestService, type TestService } from './helpers/service.js';

interface Ship {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

describeBackends('loginsights ship into %s', (kind) => {
  let svc: TestService;
  let dir: string;
  const ships: Ship[] = [];
  beforeAll(async () => {
    svc = await startTestService(kind, {}, { listen: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-ship-'));
  }, 60_000);
  afterAll(async () => {
    for (const s of ships) s.child.kill('SIGKILL');
    await svc?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ship = (args: string[], apiKey = TEST_ADMIN_KEY): Ship => {
    const child = spawn(process.execPath, ['--import', TSX_IMPORT, path.join(REPO_ROOT, 'src/cli/main.ts'), 'ship', ...args, '--server', svc.url], {
      env: { PATH: process.env.PATH ?? '', LOGINSIGHTS_API_KEY: apiKey, HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (b: Buffer) => (text += b.toString()));
    child.stderr.on('data', (b: Buffer) => (text += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const s = { child, output: () => text, exited };
    ships.push(s);
    return s;
  };
  const stored = (source: string): Promise<string[]> =>
    svc.db.query<{ raw_log: string }>('SELECT raw_log FROM logs WHERE source = $1', [source]).then((r) => r.rows.map((x) => x.raw_log).sort());
  const append = (file: string, lines: readonly string[]): void => fs.appendFileSync(file, lines.map((l) => `${l}\n`).join(''));

  it('delivers exactly the lines written through a rename rotation, a copytruncate, a kill and restart, and a file that appears later', async () => {
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs);
    const access = path.join(logs, 'access.log');
    const all = accessLines(11_000, 71);
    const parts = Array.from({ length: 11 }, (_, i) => all.slice(i * 1000, (i + 1) * 1000));
    const args = [path.join(logs, '*.log'), '--source', 'shipped', '--state-dir', path.join(dir, 'state')];
    const count = async (): Promise<number> => (await storedSummary(svc, 'shipped')).n;

    append(access, parts[0]!);
    let first = ship(args);
    expect(await until(count, (n) => n >= 1000)).toBe(1000);

    // Rotation by rename, as logrotate does by default: the writer goes on in the old file a little, then a new one begins.
    append(access, parts[1]!);
    fs.renameSync(access, `${access}.1`);
    append(`${access}.1`, parts[2]!);
    append(access, parts[3]!);
    expect(await until(count, (n) => n >= 4000)).toBe(4000);

    // copytruncate: the file is copied away, then emptied in place and written on.
    append(access, parts[4]!);
    fs.copyFileSync(access, `${access}.2`);
    fs.truncateSync(access, 0);
    append(access, parts[5]!);
    expect(await until(count, (n) => n >= 6000)).toBe(6000);

    // Killed while sending; while it is down the file is written on, then rotated by rename and written on again.
    append(access, parts[6]!.slice(0, 500));
    await until(count, (n) => n > 6000, 10_000);
    first.child.kill('SIGKILL');
    await first.exited;
    append(access, parts[6]!.slice(500));
    fs.renameSync(access, `${access}.3`);
    append(access, parts[7]!);
    const killed = first.output();
    expect(killed).toMatch(/truncated; reading the rest from its copy .*access\.log\.2/);
    first = ship(args);
    expect(await until(count, (n) => n >= 8000)).toBe(8000);

    // A second ship of the same state is refused, naming the one running.
    const second = ship(args);
    expect(await second.exited).toBe(2);
    expect(second.output()).toMatch(/another ship \(pid \d+\)/);

    // A file that appears later matches the wildcard.
    append(path.join(logs, 'error-free.log'), parts[8]!);
    append(access, parts[9]!);
    // A last line without its newline is not sent while the file may still be written...
    fs.appendFileSync(access, parts[10]!.join('\n'));
    expect(await until(count, (n) => n >= 10_999)).toBe(10_999);
    // ... and is once the file is rotated away and has settled.
    fs.renameSync(access, `${access}.4`);
    expect(await until(count, (n) => n >= 11_000, 20_000)).toBe(11_000);

    await new Promise((r) => setTimeout(r, 1500));
    expect(await storedSummary(svc, 'shipped')).toEqual(linesSummary(all));
    expect(await stored('shipped')).toEqual([...all].sort());
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // The restart found the file renamed while it was down next to its old name.
    expect(first.output()).toMatch(/reading the rest of .*access\.log\.3 \(renamed from .*access\.log\)/);
  }, 120_000);

  it('a batch sent again is stored once: the server skips the bytes of a stream it already has', async () => {
    const lines = accessLines(10, 72);
    const body = lines.map((l) => `${l}\n`).join('');
    const post = async (offset: number, bytes: string): Promise<{ status: number; body: { acked_to: number; lines_stored: number; duplicate_bytes: number; detail?: string } }> => {
      const res = await fetch(`${svc.url}/ingest/stream?source=again&stream=h%2Fabc&offset=${offset}`, {
        method: 'POST', body: bytes, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'text/plain' },
      });
      return { status: res.status, body: await res.json() as never };
    };
    const half = lines.slice(0, 5).map((l) => `${l}\n`).join('');
    expect((await post(0, half)).body).toMatchObject({ acked_to: Buffer.byteLength(half), lines_stored: 5, duplicate_bytes: 0 });
    // A batch whose bytes overlap what is stored but do not have a line's end where it ends: another file's bytes.
    const bad = await post(0, `${'x'.repeat(Buffer.byteLength(half) + 5)}\n`);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/inside a line/);
    // The whole again, from 0: the first half is skipped.
    expect((await post(0, body)).body).toMatchObject({ acked_to: Buffer.byteLength(body), lines_stored: 5, duplicate_bytes: Buffer.byteLength(half) });
    expect((await post(0, body)).body).toMatchObject({ lines_stored: 0, duplicate_bytes: Buffer.byteLength(body) });
    // The stream is of one source.
    const res = await fetch(`${svc.url}/ingest/stream?source=other&stream=h%2Fabc&offset=0`, { method: 'POST', body, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } });
    expect(res.status).toBe(400);
    expect(await until(() => storedSummary(svc, 'again'), (s) => s.n >= 10)).toEqual(linesSummary(lines));
  }, 60_000);

  it('stops with the reason when the server refuses the key', async () => {
    const logs = path.join(dir, 'refused');
    fs.mkdirSync(logs);
    append(path.join(logs, 'a.log'), accessLines(3, 73));
    const s = ship([path.join(logs, '*.log'), '--source', 'refused', '--state-dir', path.join(dir, 'state2')], 'li_wrong_key_0123456789abcdefghijklmnopqrstuvwx');
    expect(await s.exited).toBe(1);
    expect(s.output()).toMatch(/answered 401/);
  }, 60_000);
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs, REPO_ROOT, sharedData, sharedFile } from './helpers/env.js';
import { serviceRejections } from './helpers/expectedRejections.js';
import { readCombined, readLines, type CombinedFields } from './helpers/logFiles.js';
import { Shell, shellBlocks, shellCommands } from './helpers/readmeShell.js';
import { spawnServer, type ServerProcess } from './helpers/serverProcess.js';

/**
 * The README from the top, as a newcomer follows it: a server's first start (it prints its admin key),
 * then the examples of "Using it", "Keys, scopes and limits" and "Alerts" copied into one shell in
 * order, with a real log from ../shared/data as `access.log`. Each answer must hold data and agree with
 * an independent reading of the file. Not walked: `open …/docs` (a browser; the Swagger UI has its own
 * test), the PostgreSQL start (another set-up), the CLI block (test/cli.int.test.ts runs the CLI), the
 * live tail (it streams until stopped; src/api/logsTail.int.test.ts).
 */

interface Example {
  command: string;
  /** The JSON it printed, or undefined when it printed nothing. */
  json: unknown;
}

const HOUR = 3_600_000;

interface Episode {
  window_start: string;
  window_end: string;
  value: number;
}

/** Two real logs: a site's four days (nothing rejected) and Vector's mixed sample (most lines rejected). */
const LOGS = ['elastic-examples/apache_logs', 'vector-vrl/apache_common_combined.log'];

describe.each(LOGS)('the README, in order, with %s', needs(sharedData), (rel) => {
  let dir = '';
  let server: ServerProcess;
  let shell: Shell;
  let key = '';
  const answers: Example[] = [];
  const file = sharedFile(rel);
  const rejected = serviceRejections(rel);
  // The stored records, read independently: every line the service keeps, with its time and status. Read
  // in beforeAll: a skipped suite's body still runs, where the file may not exist.
  let records: CombinedFields[] = [];
  let last = 0;
  /** `latest` in a date: just after the newest record (src/query/filterParams.ts), so `latest-24h` is a 24-hour window holding it. */
  let latestMs = 0;
  const between = (from: number, to = Infinity): number => records.filter((r) => r.timeMs >= from && r.timeMs < to).length;

  /** Runs a README command with this server's port, key, file and job; `until` repeats it as a reader would. */
  async function run(command: string, until?: (json: unknown) => boolean): Promise<unknown> {
    const jobId = (answers.find((a) => a.command.includes('/logs/upload'))?.json as { job_id?: string } | undefined)?.job_id;
    const real = command
      .replaceAll('li_…', key)
      .replaceAll('@access.log', `@${file}`)
      .replaceAll('<id>', jobId ?? '<id>')
      .replaceAll(/(localhost|127\.0\.0\.1):8000/g, server.url.replace('http://', ''));
    for (let attempt = 0; ; attempt++) {
      const res = await shell.run(real);
      expect(res.status, `${command}\n${res.stderr}`).toBe(0);
      const json: unknown = res.stdout.trim() ? JSON.parse(res.stdout) : undefined;
      if (!until || until(json)) {
        answers.push({ command, json });
        return json;
      }
      if (attempt > 600) throw new Error(`no final answer to ${command}: ${res.stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const blocks = shellBlocks(path.join(REPO_ROOT, 'README.md'));
  const block = (containing: string): string[] => shellCommands(blocks.find((b) => b.includes(containing))!);
  const using = block('/logs/upload').filter((c) => !c.startsWith('open ') && !c.startsWith('DATABASE_URL='));

  beforeAll(async () => {
    const rejectedLines = new Set(rejected.map(([n]) => n));
    records = readLines(file).flatMap((line, i) => (rejectedLines.has(i + 1) ? [] : [readCombined(line)!]));
    last = Math.max(...records.map((r) => r.timeMs));
    latestMs = last + 1;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-readme-'));
    server = await spawnServer({ ADMIN_API_KEY: undefined, SECRET_KEY: undefined, DATA_DIR: path.join(dir, 'data'), SPOOL_DIR: path.join(dir, 'spool') });
    // Printed once, as the README's first line says: made once the port is bound, so maybe just after /readyz answers.
    for (let i = 0; i < 100 && !key; i++) {
      key = /admin key was created[\s\S]*?\b(li_[A-Za-z0-9_-]{20,})/.exec(server.output())?.[1] ?? '';
      if (!key) await new Promise((r) => setTimeout(r, 100));
    }
    expect(key, server.output()).not.toBe('');
    shell = new Shell(dir, {});
  });
  afterAll(async () => {
    shell?.close();
    server?.child.kill('SIGTERM');
    await server?.exited;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('walks "Using it": upload, the job, its rejected lines, the extent, searches and analytics', async () => {
    expect(using.map((c) => c.split(' ')[0])).toEqual(['export', 'curl', 'alias', 'lq', 'lq', 'lq', 'lq', 'lq', 'lq', 'lq', 'lq']);
    const [exportKey, upload, alias, job, summary, byCode, extent, latest, failed, analytics, endpoints] = using as [string, ...string[]];
    await run(exportKey);
    expect(await run(upload!)).toMatchObject({ job_id: expect.any(String) as string });
    await run(alias!);

    const lines = readLines(file).length;
    const done = (await run(job!, (j) => (j as { status: string }).status === 'succeeded')) as { records_ingested: number; lines_rejected: number; file_name: string };
    expect(done).toMatchObject({ records_ingested: lines - rejected.length, lines_rejected: rejected.length });

    const groups = ((await run(summary!)) as { groups: { code: string; lines: number }[] }).groups;
    const expectedGroups = new Map<string, number>();
    for (const [, code] of rejected) expectedGroups.set(code, (expectedGroups.get(code) ?? 0) + 1);
    expect(Object.fromEntries(groups.map((g) => [g.code, g.lines]))).toEqual(Object.fromEntries(expectedGroups));

    const badClient = ((await run(byCode!)) as { items: { line_no: number; code: string }[] }).items;
    expect(badClient.map((r) => r.line_no)).toEqual(rejected.filter(([, code]) => code === 'bad_client').map(([n]) => n));

    const range = (await run(extent!)) as { first_timestamp: string; last_timestamp: string };
    expect([Date.parse(range.first_timestamp), Date.parse(range.last_timestamp)]).toEqual([Math.min(...records.map((r) => r.timeMs)), last]);

    const newest = ((await run(latest!)) as { items: { timestamp: string }[] }).items;
    expect(newest).toHaveLength(Math.min(20, between(latestMs - 24 * HOUR)));
    expect(Date.parse(newest[0]!.timestamp)).toBe(last);
    for (const r of newest) expect(Date.parse(r.timestamp)).toBeGreaterThanOrEqual(latestMs - 24 * HOUR);

    const page = (await run(failed!)) as { items: { status_code: number; timestamp: string }[]; next_cursor: string | null };
    const errors = page.items;
    const expectedErrors = records.filter((r) => r.status >= 400 && r.timeMs >= latestMs - 7 * 24 * HOUR).length;
    // A page of GET /logs's default size (50), and a cursor when there is more.
    expect(errors.length).toBe(Math.min(expectedErrors, 50));
    expect(page.next_cursor !== null).toBe(expectedErrors > 50);
    expect(errors.length).toBeGreaterThan(0);
    for (const r of errors) expect(r.status_code).toBeGreaterThanOrEqual(400);

    const day = (await run(analytics!)) as { total_requests: number; previous?: { total_requests: number } };
    expect(day.total_requests).toBe(between(latestMs - 24 * HOUR));
    expect(day.previous?.total_requests).toBe(between(latestMs - 48 * HOUR, latestMs - 24 * HOUR));

    const routes = ((await run(endpoints!)) as { items: { route: string; count: number }[] }).items;
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.reduce((s, r) => s + r.count, 0)).toBeLessThanOrEqual(between(latestMs - 7 * 24 * HOUR));
  });

  it('walks "Keys, scopes and limits": a narrower key is created, listed and revoked', async () => {
    const [create, list, revoke] = block('-X POST localhost:8000/auth/keys') as [string, string, string];
    const made = (await run(create)) as { id: number; key: string; scopes: string[] };
    expect(made).toMatchObject({ id: 2, scopes: ['ingest'] });
    expect(made.key).toMatch(/^li_/);
    expect(((await run(list)) as { items: { id: number; name: string }[] }).items.map((k) => k.name)).toContain('nginx-01 shipper');
    await run(revoke);
    const res = await fetch(`${server.url}/logs/upload`, { method: 'POST', headers: { authorization: `Bearer ${made.key}` } });
    expect(res.status).toBe(401);
  });

  it('walks "Alerts": a rule over the stored data, its evaluation, a backtest and the history it recorded', async () => {
    const [create, get, backtest, history] = block('/alerts/rules/1/backtest') as [string, string, string, string];
    const rule = (await run(create)) as { id: number; filter: { status_code: string }; threshold: number; window: string };
    expect(rule.id).toBe(1);
    await run(get, (j) => (j as { evaluation?: { status: string } }).evaluation?.status === 'done');
    // Independently: the one-hour windows (ending on a minute) holding more 4xx than the threshold.
    const clientErrors = records.filter((r) => r.status >= 400 && r.status < 500).map((r) => r.timeMs);
    const countIn = (from: number, to: number): number => clientErrors.filter((t) => t >= from && t < to).length;
    const breaching = new Set<number>();
    for (const t of clientErrors) {
      for (let end = Math.ceil((t + 1) / 60_000) * 60_000; end <= t + HOUR; end += 60_000) if (countIn(end - HOUR, end) > rule.threshold) breaching.add(end);
    }
    const tested = ((await run(backtest)) as { episodes: Episode[] }).episodes;
    const episodes = ((await run(history)) as { items: Episode[] }).items;
    const windows = (es: Episode[]): [string, string, number][] => es.map((e): [string, string, number] => [e.window_start, e.window_end, e.value]).sort();
    // The file spans less than the backtest's week, so the backtest finds what evaluate_from recorded.
    expect(windows(episodes)).toEqual(windows(tested));
    expect(episodes.length > 0).toBe(breaching.size > 0);
    for (const e of episodes) {
      expect(countIn(Date.parse(e.window_start), Date.parse(e.window_end))).toBe(e.value);
      expect(e.value).toBeGreaterThan(rule.threshold);
    }
    if (rel === LOGS[0]) expect(episodes.length).toBeGreaterThan(0);
  });
});

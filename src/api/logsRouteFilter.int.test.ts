/**
 * GET /logs by route and method, against an independent count of the uploaded text: a line's method
 * is the first word of its request line, its route what the route normaliser makes of its path (the
 * route IS that function's output, stored at ingest; the lines are read and counted here).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { sharedData, sharedFile } from '../../test/helpers/env.js';
import { readCombined } from '../../test/helpers/logFiles.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { siteAccessLog } from '../../test/helpers/siteLog.js';
import { RouteNormaliser } from '../parse/routes.js';
import type { LogRow } from '../search/searchLogs.js';

interface Line {
  method: string;
  route: string;
}

/** Each line's method and route, read from the text. */
function readLines(text: string): Line[] {
  const normaliser = new RouteNormaliser();
  return text.split('\n').filter((l) => l !== '').map((l) => {
    const fields = readCombined(l);
    const method = /^[^"]*"(\S+) /.exec(l)?.[1];
    if (!fields || method === undefined) throw new Error(`not a combined line: ${l}`);
    return { method, route: normaliser.route(fields.path)! };
  });
}

/** The routes of the lines, most frequent first. */
function byFrequency(lines: Line[]): string[] {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l.route, (counts.get(l.route) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([route]) => route);
}

function suite(kind: 'pglite' | 'postgres', source: string, file: () => Buffer): void {
  let svc: TestService;
  let lines: Line[] = [];

  async function all(query: string): Promise<LogRow[]> {
    const items: LogRow[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: LogRow[]; next_cursor: string | null } } =
        await svc.getJson(`/logs?source=${source}&${query}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor);
    return items;
  }
  const route = (r: string): string => `route=${encodeURIComponent(r)}`;

  beforeAll(async () => {
    // Read in beforeAll: a skipped suite's body still runs, where the file may not exist.
    const body = file();
    lines = readLines(body.toString('latin1'));
    svc = await startTestService(kind);
    const up = await svc.upload(body, { source });
    expect((await svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
  });
  afterAll(async () => svc?.close());

  it('route: one route, and a list (the parameter repeated), each item carrying its route', async () => {
    // Routes with a placeholder first: those are the ones a path filter could not ask for.
    const [first, second, third] = new Set([...byFrequency(lines.filter((l) => l.route.includes('{'))), ...byFrequency(lines)]);
    const count = (...routes: string[]): number => lines.filter((l) => routes.includes(l.route)).length;
    const one = await all(route(first!));
    expect(one.length).toBe(count(first!));
    expect(new Set(one.map((r) => r.route))).toEqual(new Set([first]));
    const two = await all(`${route(second!)}&${route(third!)}`);
    expect(two.length).toBe(count(second!, third!));
    expect(new Set(two.map((r) => r.route))).toEqual(new Set([second, third]));
    // Every item carries the route of its path.
    const normaliser = new RouteNormaliser();
    for (const r of one.concat(two)) expect(r.route).toBe(normaliser.route(r.endpoint));
  });

  it('method: one, a comma list (any case), and with a route', async () => {
    const methods = [...new Set(lines.map((l) => l.method))];
    for (const m of methods) expect((await all(`method=${m}`)).length, m).toBe(lines.filter((l) => l.method === m).length);
    const notGet = methods.filter((m) => m !== 'GET');
    expect(notGet.length).toBeGreaterThan(0);
    const list = await all(`method=${notGet.map((m) => m.toLowerCase()).join(',')}`);
    expect(list.length).toBe(lines.filter((l) => l.method !== 'GET').length);
    const top = byFrequency(lines)[0]!;
    expect((await all(`${route(top)}&method=GET`)).length).toBe(lines.filter((l) => l.route === top && l.method === 'GET').length);
  });

  it('route with endpoint, an unknown parameter, a bad method: 400 naming the parameter', async () => {
    const cases: [string, string][] = [
      ['route=/a&endpoint=/a', 'route'], ['staus_code=500', 'staus_code'], ['method=G%20T', 'method'],
    ];
    for (const [query, name] of cases) {
      const res = await svc.getJson<{ code: string; invalid_params: { name: string }[] }>(`/logs?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code).toBe('invalid_parameter');
      expect(res.body.invalid_params.map((p) => p.name)).toEqual([name]);
    }
  });
}

describeBackends('GET /logs by route and method, a generated site log, on %s', (kind) => suite(kind, 'site', () => Buffer.from(siteAccessLog())));

describeBackends('GET /logs by route and method, a real site log (elastic-examples/apache_logs), on %s', [sharedData], (kind) =>
  suite(kind, 'real', () => fs.readFileSync(sharedFile('elastic-examples/apache_logs'))));

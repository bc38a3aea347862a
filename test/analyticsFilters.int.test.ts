/**
 * The analytics endpoints narrowed by the record filter (source lists, status_code, level, route,
 * method, q) answer exactly what an independent count of the uploaded files' text gives, over all
 * data and over a range cut at odd seconds (whole days and hours from the rollups, the edges from
 * raw rows), and a filtered summary or traffic series counts what GET /logs lists for the same filter.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TopClients } from '../src/analytics/clients.js';
import type { EndpointRow } from '../src/analytics/endpoints.js';
import type { Summary } from '../src/analytics/summary.js';
import type { Traffic } from '../src/analytics/traffic.js';
import { expectedOf, readAccessLines, type AccessLine } from './helpers/accessLines.js';
import { describeBackends } from './helpers/db.js';
import { sharedData, sharedFile } from './helpers/env.js';
import { startTestService, type TestService } from './helpers/service.js';
import { probeAccessLog, siteLog, siteAccessLog, SITE_LOG_OPTIONS } from './helpers/siteLog.js';

const OTHER_LOG = siteLog({ ...SITE_LOG_OPTIONS, seed: 77, lines: 2000 });
const LINES = [
  ...readAccessLines('site', siteAccessLog()), ...readAccessLines('probes', probeAccessLog()), ...readAccessLines('other', OTHER_LOG),
];

interface Filter {
  name: string;
  query: string;
  match: (l: AccessLine) => boolean;
}

const FILTERS: Filter[] = [
  { name: 'status_code=5xx', query: 'status_code=5xx', match: (l) => l.status >= 500 },
  { name: 'level=WARN', query: 'level=WARN', match: (l) => l.level === 'WARN' },
  { name: 'one route', query: 'route=/robots.txt', match: (l) => l.path === '/robots.txt' },
  { name: 'two routes', query: 'route=/robots.txt&route=/join_form', match: (l) => l.path === '/robots.txt' || l.path === '/join_form' },
  { name: 'method=POST,HEAD', query: 'method=POST,HEAD', match: (l) => l.method === 'POST' || l.method === 'HEAD' },
  { name: 'a source list', query: 'source=site,probes', match: (l) => l.source !== 'other' },
  { name: 'source, status and method', query: 'source=probes,other&status_code=4xx&method=GET', match: (l) => l.source !== 'site' && l.status >= 400 && l.status < 500 && l.method === 'GET' },
];

/** Whole data, and a range cut at odd seconds over both the May and the October files. */
const RANGES = [
  { name: 'all data', query: '', startMs: -Infinity, endMs: Infinity },
  { name: 'a cut range', query: 'start_date=2015-05-18T13:17:29Z&end_date=2015-10-28T08:41:07Z', startMs: Date.parse('2015-05-18T13:17:29Z'), endMs: Date.parse('2015-10-28T08:41:07Z') },
];

/** Whether a filter narrows by more than the source (status, level, route, method). */
const narrowsBeyondSource = (f: Filter): boolean => /(^|&)(status_code|level|route|method)=/.test(f.query);

const pct = (part: number, whole: number): number => (whole > 0 ? Math.round((part / whole) * 10_000) / 100 : 0);

describeBackends('analytics narrowed by the record filter on %s', (kind) => {
  let svc: TestService;

  beforeAll(async () => {
    // A bound the cut range fits in: a filter on more than source counts clients from raw rows, which the embedded database bounds.
    svc = await startTestService(kind, { EMBEDDED_SCAN_MAX_DAYS: '200' });
    for (const [source, text] of [['site', siteAccessLog()], ['probes', probeAccessLog()], ['other', OTHER_LOG]] as const) {
      const res = await svc.upload(text, { source });
      expect(res.status).toBe(202);
      expect((await svc.waitForJob(res.body.job_id)).status).toBe('succeeded');
    }
  }, 300_000);
  afterAll(async () => svc?.close());

  async function get<T>(path: string, query: string): Promise<T> {
    const res = await svc.getJson<T>(`${path}${path.includes('?') ? '&' : '?'}${query}`);
    expect(res.status, `${path} ${query}: ${JSON.stringify(res.body)}`).toBe(200);
    return res.body;
  }

  /**
   * Top clients. The daily lists are kept per source, so a filter on more than that counts from raw
   * rows, exactly, which on the embedded database needs a bounded range (`open`: the range has none).
   */
  async function checkClients(query: string, ranking: { client_ip: string; count: number }[], narrowerThanSource: boolean, open: boolean): Promise<void> {
    const res = await svc.getJson<TopClients & { invalid_params?: { name: string }[] }>(`/analytics/clients?limit=20&${query}`);
    if (narrowerThanSource && open && kind === 'pglite') {
      expect(res.status).toBe(400);
      expect(res.body.invalid_params?.[0]?.name).toBe('start_date');
      return;
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const top = res.body.items.map(({ client_ip, count }) => ({ client_ip, count }));
    if (narrowerThanSource) expect(res.body.exact).toBe(true);
    if (res.body.exact) expect(top).toEqual(ranking.slice(0, 20));
    else {
      // Whole days from the daily lists: each count a lower bound within its stated error.
      const truth = new Map(ranking.map((c) => [c.client_ip, c.count]));
      for (const c of res.body.items) {
        expect(c.count).toBeLessThanOrEqual(truth.get(c.client_ip)!);
        expect(truth.get(c.client_ip)!).toBeLessThanOrEqual(c.count + c.count_error_upper_bound);
      }
    }
  }

  for (const r of RANGES) {
    for (const f of FILTERS) {
      it(`${f.name}, ${r.name}: summary, traffic, endpoints, status-codes and clients equal the count of the files`, async () => {
        const lines = LINES.filter((l) => f.match(l) && l.timeMs >= r.startMs && l.timeMs < r.endMs);
        const want = expectedOf(lines);
        expect(want.records, 'the filter matches some lines').toBeGreaterThan(0);
        const query = [f.query, r.query].filter(Boolean).join('&');

        const summary = await get<Summary>('/analytics/summary', query);
        expect(summary).toMatchObject({
          total_records: want.records, total_requests: want.records, error_count: want.errors, client_error_count: want.clientErrors,
          error_rate_pct: pct(want.errors, want.records), bytes_sent: want.bytes, status_codes: want.statusCodes, levels: want.levels,
          // Addresses are kept per source: narrowed further over whole hours, the count is not known.
          ...(narrowsBeyondSource(f) ? { unique_clients: null, unique_clients_error: null } : { unique_clients: want.clients, unique_clients_error: 0 }),
        });
        expect(Date.parse(summary.first_timestamp!)).toBe(Date.parse(want.first!));
        expect(Date.parse(summary.last_timestamp!)).toBe(Date.parse(want.last!));
        expect(summary.latency_ms.count).toBe(0); // combined lines carry no latency

        const traffic = await get<Traffic>('/analytics/traffic', `${query}&interval=1h`);
        const hours = traffic.series.filter((p) => p.count > 0).map((p) => [Date.parse(p.bucket), p.count, p.errors]);
        expect(hours).toEqual([...want.hourly.entries()].sort((a, b) => a[0] - b[0]).map(([h, c]) => [h, c.count, c.errors]));

        const endpoints = await get<{ items: EndpointRow[] }>('/analytics/endpoints?limit=1000', query);
        expect(endpoints.items.reduce((a, e) => a + e.count, 0)).toBe(want.records);
        expect(endpoints.items.reduce((a, e) => a + e.errors, 0)).toBe(want.errors);

        const codes = await get<{ total: number; items: { status_code: number; count: number }[] }>('/analytics/status-codes', query);
        expect(codes.total).toBe(want.records);
        expect(Object.fromEntries(codes.items.map((c) => [String(c.status_code), c.count]))).toEqual(want.statusCodes);

        await checkClients(query, want.clientRanking, f.query !== 'source=site,probes', r.startMs === -Infinity);
      });
    }
  }

  it('a route filter returns only those routes from /analytics/endpoints', async () => {
    const two = await get<{ items: EndpointRow[] }>('/analytics/endpoints', 'route=/robots.txt&route=/join_form');
    expect(two.items.map((e) => e.route).sort()).toEqual(['/join_form', '/robots.txt']);
  });

  it('under status_code=5xx the error rate is 100%, in the summary and per route', async () => {
    const s = await get<Summary>('/analytics/summary', 'status_code=5xx');
    expect(s.error_rate_pct).toBe(100);
    expect(s.top_endpoints.every((t) => t.error_rate_pct === 100)).toBe(true);
    const e = await get<{ items: EndpointRow[] }>('/analytics/endpoints', 'status_code=5xx');
    expect(e.items.every((x) => x.error_rate_pct === 100)).toBe(true);
  });

  it('group_by and compare=previous keep the filter', async () => {
    const r = RANGES[1]!;
    const grouped = await get<Traffic>('/analytics/traffic', `${r.query}&status_code=4xx&group_by=status_class&interval=1d`);
    const groups = grouped.series.flatMap((p) => Object.entries(p.groups ?? {}).filter(([, n]) => n > 0).map(([g]) => g));
    expect(new Set(groups)).toEqual(new Set(['4xx']));
    const bySource = await get<Traffic>('/analytics/traffic', `${r.query}&source=probes,other&group_by=source&interval=1d`);
    expect(Object.keys(bySource.series.find((p) => p.count > 0)?.groups ?? {}).every((g) => g === 'probes' || g === 'other')).toBe(true);

    const s = await get<Summary & { previous: Summary }>('/analytics/summary', `${r.query}&level=WARN&compare=previous`);
    const prevStart = 2 * r.startMs - r.endMs;
    const previous = LINES.filter((l) => l.level === 'WARN' && l.timeMs >= prevStart && l.timeMs < r.startMs);
    expect(s.previous.total_records).toBe(previous.length);
  });

  it('q and endpoint are answered from the raw rows, saying so', async () => {
    const range = 'start_date=2015-05-18T03:04:05Z&end_date=2015-05-19T21:22:23Z';
    const [from, to] = [Date.parse('2015-05-18T03:04:05Z'), Date.parse('2015-05-19T21:22:23Z')];
    const inRange = LINES.filter((l) => l.timeMs >= from && l.timeMs < to);
    const googlebot = inRange.filter((l) => l.raw.toLowerCase().includes('googlebot'));
    const s = await get<Summary>('/analytics/summary', `${range}&q=GoogleBot`);
    expect(s).toMatchObject({ total_records: googlebot.length, source_of_truth: 'raw', unique_clients: expectedOf(googlebot).clients });
    const images = inRange.filter((l) => l.path.startsWith('/images/'));
    const t = await get<Traffic>('/analytics/traffic', `${range}&endpoint=/images/*&interval=1h`);
    expect(t.source_of_truth).toBe('raw');
    expect(t.series.reduce((a, p) => a + p.count, 0)).toBe(images.length);
    const c = await get<{ total: number; source_of_truth: string }>('/analytics/status-codes', `${range}&endpoint=/images/*`);
    expect(c).toMatchObject({ total: images.length, source_of_truth: 'raw' });
  });

  it('refuses what it cannot answer with a 400 naming the parameter, never ignoring it', async () => {
    const both = await svc.getJson<{ invalid_params: { name: string }[] }>('/analytics/summary?route=/robots.txt&endpoint=/robots.txt');
    expect(both.status).toBe(400);
    expect(both.body.invalid_params.map((p) => p.name)).toEqual(['route']);
    const badLevel = await svc.getJson<{ invalid_params: { name: string }[] }>('/analytics/traffic?level=LOUD');
    expect(badLevel.status).toBe(400);
    expect(badLevel.body.invalid_params.map((p) => p.name)).toEqual(['level']);
    if (kind === 'pglite') {
      // On the embedded database a substring search over an open range would hold every other request.
      const open = await svc.getJson<{ invalid_params: { name: string; reason: string }[] }>('/analytics/summary?q=googlebot');
      expect(open.status).toBe(400);
      expect(open.body.invalid_params[0]).toMatchObject({ name: 'start_date' });
      expect(open.body.invalid_params[0]!.reason).toMatch(/q or endpoint/);
    }
  });

  it('a summary and a traffic series narrowed by status_code, level, route, method or a source list count what GET /logs lists', async () => {
    for (const query of [
      'status_code=5xx', 'level=WARN', 'source=site,probes&status_code=3xx', 'source=probes,other', 'route=/robots.txt',
      'route=/robots.txt&route=/join_form&method=GET', 'method=HEAD',
    ]) {
      let listed = 0;
      let cursor: string | null = null;
      do {
        const page: { items: unknown[]; next_cursor: string | null } = await get('/logs?limit=1000', `${query}${cursor ? `&cursor=${cursor}` : ''}`);
        listed += page.items.length;
        cursor = page.next_cursor;
      } while (cursor !== null);
      expect(listed, query).toBeGreaterThan(0);
      expect((await get<Summary>('/analytics/summary', query)).total_records, query).toBe(listed);
      expect((await get<Traffic>('/analytics/traffic', `${query}&interval=1d`)).series.reduce((a, p) => a + p.count, 0), query).toBe(listed);
    }
  });
});

describeBackends('analytics of the real Apache log narrowed by the record filter on %s', [sharedData], (kind) => {
  const SOURCE = 'elastic-examples/apache_logs';
  let svc: TestService;
  let lines: AccessLine[] = [];

  beforeAll(async () => {
    const text = fs.readFileSync(sharedFile(SOURCE), 'latin1');
    lines = readAccessLines(SOURCE, text);
    svc = await startTestService(kind, { EMBEDDED_SCAN_MAX_DAYS: '0' });
    const res = await svc.upload(fs.readFileSync(sharedFile(SOURCE)), { source: SOURCE });
    expect((await svc.waitForJob(res.body.job_id)).status).toBe('succeeded');
  }, 300_000);
  afterAll(async () => svc?.close());

  const cases: Filter[] = [
    { name: 'status_code=5xx', query: 'status_code=5xx', match: (l) => l.status >= 500 },
    { name: 'level=WARN', query: 'level=WARN', match: (l) => l.level === 'WARN' },
    { name: 'route=/robots.txt', query: 'route=/robots.txt', match: (l) => l.path === '/robots.txt' },
    { name: 'method=HEAD,OPTIONS', query: 'method=HEAD,OPTIONS', match: (l) => l.method === 'HEAD' || l.method === 'OPTIONS' },
  ];
  for (const f of cases) {
    it(`${f.name}: summary, traffic and status codes equal the count of the file, over all data and a cut range`, async () => {
      for (const r of [{ query: '', from: -Infinity, to: Infinity }, { query: '&start_date=2015-05-18T07:08:09Z&end_date=2015-05-20T01:02:03Z', from: Date.parse('2015-05-18T07:08:09Z'), to: Date.parse('2015-05-20T01:02:03Z') }]) {
        const want = expectedOf(lines.filter((l) => f.match(l) && l.timeMs >= r.from && l.timeMs < r.to));
        expect(want.records).toBeGreaterThan(0);
        const q = `source=${encodeURIComponent(SOURCE)}&${f.query}${r.query}`;
        const s = (await svc.getJson<Summary>(`/analytics/summary?${q}`)).body;
        expect(s).toMatchObject({ total_records: want.records, error_count: want.errors, status_codes: want.statusCodes, unique_clients: null });
        const t = (await svc.getJson<Traffic>(`/analytics/traffic?${q}&interval=1h`)).body;
        expect(t.series.filter((p) => p.count > 0).map((p) => [Date.parse(p.bucket), p.count]))
          .toEqual([...want.hourly.entries()].sort((a, b) => a[0] - b[0]).map(([h, c]) => [h, c.count]));
        const c = (await svc.getJson<{ total: number }>(`/analytics/status-codes?${q}`)).body;
        expect(c.total).toBe(want.records);
      }
    });
  }
});

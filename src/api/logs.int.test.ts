import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { readCombined } from '../../test/helpers/logFiles.js';
import { probeAccessLog, siteAccessLog } from '../../test/helpers/siteLog.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import type { IngestJob } from '../domain/ingestJob.js';
import type { LogRow } from '../search/searchLogs.js';

interface Page {
  items: LogRow[];
  next_cursor: string | null;
}

interface Problem {
  status: number;
  code: string;
  invalid_params?: { name: string; reason: string }[];
}

/** The site log's four days: on the embedded database a q or endpoint search needs a range (EMBEDDED_SCAN_MAX_DAYS). */
const SITE_DAYS = 'start_date=2015-05-17&end_date=2015-05-21';

/** A newline-terminated text's lines. */
const linesOf = (text: string): string[] => text.slice(0, -1).split('\n');

describeBackends('GET /logs on %s', (kind) => {
  let svc: TestService;
  const site = linesOf(siteAccessLog()).map((l) => ({ raw: l, f: readCombined(l) }));
  const probeLineCount = linesOf(probeAccessLog()).length;

  /** Follows next_cursor to the end; returns every item. */
  async function all(query: string, pageSize = 1000): Promise<LogRow[]> {
    const items: LogRow[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: Page } = await svc.getJson<Page>(`/logs?${query}&limit=${pageSize}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor);
    return items;
  }

  beforeAll(async () => {
    svc = await startTestService(kind);
    const a = await svc.upload(siteAccessLog(), { source: 'site' });
    const b = await svc.upload(probeAccessLog(), { source: 'probes' });
    expect((await svc.waitForJob(a.body.job_id)).status).toBe('succeeded');
    expect((await svc.waitForJob(b.body.job_id)).status).toBe('succeeded');
  });
  afterAll(async () => svc?.close());

  it('every line of the independent reading is understood by it', () => {
    expect(site.filter((x) => !x.f)).toEqual([]);
  });

  it('filters by status code, class, range and list exactly', async () => {
    const count = (pred: (s: number) => boolean): number => site.filter((x) => pred(x.f!.status)).length;
    expect((await all('source=site&status_code=5xx')).length).toBe(count((s) => s >= 500));
    expect((await all('source=site&status_code=404')).length).toBe(count((s) => s === 404));
    expect((await all('source=site&status_code=400-499')).length).toBe(count((s) => s >= 400 && s < 500));
    expect((await all('source=site&status_code=206,5xx,416')).length).toBe(count((s) => s === 206 || s === 416 || s >= 500));
    expect(count((s) => s === 404)).toBeGreaterThan(100);
  });

  it('level follows the status (5xx ERROR, 4xx WARN, else INFO)', async () => {
    const errors = await all('source=site&level=ERROR');
    expect(errors.length).toBe(site.filter((x) => x.f!.status >= 500).length);
    const warnOrError = await all('source=site&level=warn,error');
    expect(warnOrError.length).toBe(site.filter((x) => x.f!.status >= 400).length);
  });

  it('filters by a time window: start inclusive, end exclusive', async () => {
    const start = Date.UTC(2015, 4, 18, 0, 0, 0);
    const end = Date.UTC(2015, 4, 19, 12, 30, 0);
    const expected = site.filter((x) => x.f!.timeMs >= start && x.f!.timeMs < end).length;
    const got = await all(`source=site&start_date=${new Date(start).toISOString()}&end_date=${new Date(end).toISOString()}`);
    expect(got.length).toBe(expected);
    expect(expected).toBeGreaterThan(1000);
    for (const r of got) expect(Date.parse(r.timestamp)).toBeGreaterThanOrEqual(start);
  });

  it('filters by exact endpoint and by prefix', async () => {
    const exact = site.filter((x) => x.f!.path === '/favicon.ico').length;
    expect((await all(`endpoint=/favicon.ico&${SITE_DAYS}`)).length).toBe(exact);
    const prefix = site.filter((x) => x.f!.path.startsWith('/presentations/')).length;
    expect((await all(`endpoint=${encodeURIComponent('/presentations/*')}&${SITE_DAYS}`)).length).toBe(prefix);
    expect(prefix).toBeGreaterThan(50);
  });

  it('q is a case-insensitive substring of the raw line with % and _ taken literally', async () => {
    const hits = (needle: string): number => site.filter((x) => x.raw.toLowerCase().includes(needle.toLowerCase())).length;
    expect((await all(`source=site&q=GoogleBot&${SITE_DAYS}`)).length).toBe(hits('googlebot'));
    expect((await all(`source=site&q=${encodeURIComponent('%20')}&${SITE_DAYS}`)).length).toBe(hits('%20'));
    expect((await all(`source=site&q=${encodeURIComponent('_')}&${SITE_DAYS}`)).length).toBe(hits('_'));
    expect(hits('%20')).toBeGreaterThan(0);
  });

  it('pages newest first with a stable keyset cursor and no repeats', async () => {
    const items = await all('source=probes', 97);
    expect(items.length).toBe(probeLineCount);
    expect(new Set(items.map((r) => r.id)).size).toBe(probeLineCount);
    for (let i = 1; i < items.length; i++) {
      const a = items[i - 1]!;
      const b = items[i]!;
      expect(a.timestamp > b.timestamp || (a.timestamp === b.timestamp && a.id > b.id)).toBe(true);
    }
    const first = items[0]!;
    expect(first).toMatchObject({ source: 'probes', line_count: 1 });
    expect(first.raw_log.length).toBeGreaterThan(20);
  });

  it('returns fields named as the columns, with NULL where the log has no value', async () => {
    const res = await svc.getJson<Page>('/logs?source=site&limit=1');
    const row = res.body.items[0]!;
    expect(Object.keys(row).sort()).toEqual([
      'bytes_sent', 'client_ip', 'endpoint', 'host', 'id', 'job_id', 'latency_ms', 'layout', 'line_count', 'line_no', 'log_level',
      'message', 'method', 'protocol', 'raw_log', 'referer', 'route', 'source', 'status_code', 'timestamp', 'user_agent',
    ]);
    expect(row.latency_ms).toBeNull(); // the combined format has no timing: unknown, not 0
    // The layout that read the line, as the job counts it.
    const job = (await svc.getJson<IngestJob>(`/ingest/jobs/${row.job_id}`)).body;
    expect(job.layouts.map((l) => l.name)).toContain(row.layout);
  });

  it.each([
    ['status_code=abc', 'status_code'],
    ['level=FATAL', 'level'],
    ['limit=5000', 'limit'],
    ['limit=0', 'limit'],
    ['limit=ten', 'limit'],
    ['start_date=yesterday', 'start_date'],
    ['start_date=2026-10-02T00:00:00Z&end_date=2026-10-01T00:00:00Z', 'end_date'],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
  ])('answers %s with 400 problem+json naming %s', async (query, param) => {
    const res = await svc.inject({ method: 'GET', url: `/logs?${query}` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json<Problem>();
    expect(body.invalid_params?.[0]?.name).toBe(param);
  });

  it.each(["' OR 1=1 --", '"; DROP TABLE logs; --', '\\', '%%', '\u0000'])('takes SQL metacharacters in q literally: %j', async (q) => {
    const res = await svc.inject({ method: 'GET', url: `/logs?q=${encodeURIComponent(q)}&limit=5&${SITE_DAYS}` });
    expect([200, 400]).toContain(res.statusCode);
    if (res.statusCode === 200) expect(res.json<Page>().items.every((r) => r.raw_log.toLowerCase().includes(q.toLowerCase()))).toBe(true);
    const total = await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM logs');
    expect(total.rows[0]!.n).toBe(site.length + probeLineCount);
  });
});

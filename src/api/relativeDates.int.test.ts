import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MINUTE = 60_000;
/** Old data on purpose: 2024, so that a range relative to the clock misses it. */
const WEB_FIRST = Date.UTC(2024, 2, 10, 6, 0, 0);
const API_FIRST = Date.UTC(2024, 2, 12, 6, 0, 0);

function line(ms: number, status: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  const t = `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  return `10.0.0.1 - - [${t}] "GET /api/items/${ms % 97} HTTP/1.1" ${status} 120 "-" "ua"`;
}
/** One line every 10 minutes over three hours from `firstMs`. */
const lines = (firstMs: number): string => `${Array.from({ length: 19 }, (_, i) => line(firstMs + i * 10 * MINUTE, i % 5 === 0 ? 500 : 200)).join('\n')}\n`;
/** As records and extents write times: whole seconds without a fraction. */
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const WEB_LAST = WEB_FIRST + 180 * MINUTE;
const API_LAST = API_FIRST + 180 * MINUTE;

interface Hinted { hint?: string }
interface Page extends Hinted { items: { timestamp: string; source: string }[] }
interface Summary extends Hinted { total_records: number }

describeBackends('relative dates and empty-answer hints on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind);
  });
  afterAll(async () => svc?.close());

  const get = async <T>(url: string): Promise<T> => {
    const res = await svc.getJson<T>(url);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it('tells an empty store how to fill it, latest included', async () => {
    const want = 'no data stored yet; upload a log with POST /logs/upload';
    expect((await get<Page>('/logs?start_date=-1h')).hint).toBe(want);
    expect((await get<Summary>('/analytics/summary?start_date=latest-24h')).hint).toBe(want);
  });

  it('finds the newest records with latest-1h, of the source asked about', async () => {
    for (const [source, first] of [['web', WEB_FIRST], ['api', API_FIRST]] as const) {
      const up = await svc.upload(lines(first), { source });
      expect(up.status).toBe(202);
      expect((await svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
    }
    // The newest hour of all data is api's: its lines up to 50 minutes before its last one (the hour ending
    // with the newest record, which the record one hour before it is just outside).
    const all = await get<Page>('/logs?start_date=latest-1h');
    expect(all.items.map((r) => r.timestamp)).toEqual(Array.from({ length: 6 }, (_, i) => iso(API_LAST - i * 10 * MINUTE)));
    expect(all.hint).toBeUndefined();
    // With a source, latest is that source's newest record.
    const web = await get<Page>('/logs?source=web&start_date=latest-1h&end_date=latest');
    expect(web.items.map((r) => r.timestamp)).toEqual(Array.from({ length: 6 }, (_, i) => iso(WEB_LAST - i * 10 * MINUTE)));
    // A substring search from latest-1h scans an hour, not the years to now: the embedded database's
    // bound on such scans (EMBEDDED_SCAN_MAX_DAYS) lets it through.
    expect((await get<Page>('/logs?q=%2Fapi%2Fitems&start_date=latest-1h')).items).toHaveLength(6);
    const summary = await get<Summary>('/analytics/summary?source=web&start_date=latest-1h');
    expect(summary.total_records).toBe(6);
    expect(summary.hint).toBeUndefined();
  });

  it('answers a range relative to the clock over old data empty, saying where the data is', async () => {
    const extent = `data exists from ${iso(WEB_FIRST)} to ${iso(API_LAST)}`;
    expect((await get<Page>('/logs?start_date=-1h')).hint).toBe(`no records in this range; ${extent}`);
    const summary = await get<Summary>('/analytics/summary?start_date=now-1h');
    expect(summary.total_records).toBe(0);
    expect(summary.hint).toBe(`no records in this range; ${extent}`);
    expect((await get<Hinted>('/analytics/traffic?start_date=-1h')).hint).toBe(`no records in this range; ${extent}`);
    expect((await get<Hinted>('/analytics/endpoints?start_date=-1h&source=web')).hint)
      .toBe(`no records in this range; source 'web' has data from ${iso(WEB_FIRST)} to ${iso(WEB_LAST)}`);
    // A range that holds data but no match: the other filters are the reason.
    expect((await get<Page>('/logs?start_date=latest-1h&status_code=404')).hint).toBe(`no records in this range match the other filters; ${extent}`);
  });

  it('refuses a bad relative date with a 400 naming the parameter and the accepted forms', async () => {
    const res = await svc.inject({ method: 'GET', url: '/analytics/summary?end_date=latest-1y' });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ invalid_params: { name: string; reason: string }[] }>();
    expect(body.invalid_params[0]!.name).toBe('end_date');
    expect(body.invalid_params[0]!.reason).toMatch(/now-1h, -24h \(= now-24h\), latest, latest-24h/);
  });
});

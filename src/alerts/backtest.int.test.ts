import { afterAll, beforeAll, expect, it } from 'vitest';
import { at, line, logFile, MIN, T0 } from '../../test/helpers/burstLog.js';
import { describeBackends } from '../../test/helpers/db.js';
import { readCombined } from '../../test/helpers/logFiles.js';
import { siteAccessLog } from '../../test/helpers/siteLog.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { bucketIndex, bucketValue } from '../domain/latencyHistogram.js';
import { RouteNormaliser } from '../parse/routes.js';
import { backtest } from './backtest.js';
import { loadedRule, ruleSchema } from './rule.js';

const SEED = { name: 'Too many 500s', kind: 'count', filter: { status_code: '500' }, operator: '>', threshold: 50, window: '5m', severity: 'critical' };
const RANGE = { start_date: at(0), end_date: at(120) };

describeBackends('backtest on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind);
    for (const [source, text] of [['burst', logFile({ burst: true, gap: false })], ['quiet', logFile({ burst: false, gap: true })]] as const) {
      const res = await svc.upload(text, { source, format: 'nginx_combined_timed' });
      expect((await svc.waitForJob(res.body.job_id)).status).toBe('succeeded');
    }
  }, 60_000);
  afterAll(async () => svc?.close());

  const run = async (rule: object, range: object = RANGE) => {
    const res = await svc.inject({ method: 'POST', url: '/alerts/rules/backtest', payload: { rule, ...range } });
    return { status: res.statusCode, body: res.json<{ steps: number; episodes: Record<string, unknown>[]; invalid_params?: { name: string }[] }>() };
  };

  it("the seed's rule fires once for the burst, at its event time, and resolves once; the quiet file never", async () => {
    const saved = await svc.inject({ method: 'POST', url: '/alerts/rules', payload: { ...SEED, filter: { ...SEED.filter, source: 'burst' } } });
    const res = await svc.inject({ method: 'POST', url: `/alerts/rules/${saved.json<{ id: number }>().id}/backtest`, payload: RANGE });
    expect(res.statusCode).toBe(200);
    // Window [00:58, 01:03): five background 500s and the whole burst; by [01:01, 01:06) only 40 of it are left.
    expect(res.json()).toMatchObject({
      steps: 120,
      episodes: [{ window_start: at(58), window_end: at(63), value: 65, peak: 65, resolved_at: at(66) }],
    });
    expect((await run({ ...SEED, filter: { ...SEED.filter, source: 'quiet' } })).body.episodes).toEqual([]);
  });

  it('a filter on the raw line counts raw rows: only the burst matches', async () => {
    const { body } = await run({ ...SEED, filter: { status_code: '500', q: '/api/pay' } });
    expect(body.episodes).toEqual([{ window_start: at(58), window_end: at(63), value: 60, peak: 60, resolved_at: at(66) }]);
  });

  it('`for` delays firing, and the episode resolves as before', async () => {
    const { body } = await run({ ...SEED, filter: { ...SEED.filter, source: 'burst' }, for: '2m' });
    expect(body.episodes).toEqual([{ window_start: at(60), window_end: at(65), value: 65, peak: 65, resolved_at: at(66) }]);
  });

  it('recover_threshold holds a firing episode until the value is well back (hysteresis)', async () => {
    // Without it the episode resolves at 01:06 (45 ≤ 50); with 10 it waits for [01:03, 01:08), which holds 5.
    const { body } = await run({ ...SEED, filter: { ...SEED.filter, source: 'burst' }, recover_threshold: 10 });
    expect(body.episodes).toEqual([{ window_start: at(58), window_end: at(63), value: 65, peak: 65, resolved_at: at(68) }]);
  });

  it('ratio: the share of 500s, with min_requests keeping thin windows quiet', async () => {
    const ratio = { name: 'r', kind: 'ratio', filter: { status_code: '5xx', source: 'burst' }, operator: '>', threshold: 80, window: '5m' };
    // The background alone is 50%. [00:56, 01:01) has the burst's first 20: 25 of 30 records are 500s,
    // 83.33%; [01:03, 01:08) is background again.
    expect((await run(ratio)).body.episodes).toMatchObject([{ window_end: at(61), value: 83.33, peak: 92.86, resolved_at: at(68) }]);
    expect((await run({ ...ratio, min_requests: 1000 })).body.episodes).toEqual([]);
  });

  it('absence: a source that goes silent for ten minutes', async () => {
    const absence = { name: 'silent', kind: 'absence', filter: { source: 'quiet' }, threshold: 1, window: '5m' };
    // Nothing from 01:30 to 01:40: windows ending 01:35 to 01:40 are empty.
    expect((await run(absence)).body.episodes).toEqual([{ window_start: at(90), window_end: at(95), value: 0, peak: 0, resolved_at: at(101) }]);
  });

  it('latency: a percentile of the window, from the minute histograms or, with q, the raw rows', async () => {
    const slow = { name: 'slow', kind: 'latency', filter: { source: 'burst' }, operator: '>', threshold: 1000, window: '5m' };
    // [00:56, 01:01) holds 10 background requests (10 ms) and the burst's first 20 (2.5 s): p95 is 2.5 s.
    // The burst's last minute leaves the window ending 01:08.
    const p95 = (await run(slow)).body.episodes;
    expect(p95).toMatchObject([{ window_end: at(61), resolved_at: at(68) }]);
    expect(Math.abs((p95[0]!.value as number) - 2500)).toBeLessThanOrEqual(2500 * 0.02);
    // The median needs more than half the window slow: 20 of 30 is enough, and it resolves as the burst thins.
    expect((await run({ ...slow, percentile: 'p50' })).body.episodes).toMatchObject([{ window_end: at(61) }]);
    // Only the burst's own lines: every window with any of them is slow, and one without has no latency at all.
    const rawPath = await run({ ...slow, filter: { q: '/api/pay' } });
    expect(rawPath.status, JSON.stringify(rawPath.body)).toBe(200);
    expect(rawPath.body.episodes).toMatchObject([{ window_end: at(61), resolved_at: at(68) }]);
    expect((await run({ ...slow, filter: { source: 'quiet' } })).body.episodes).toEqual([]);
  });

  it('anomaly: a window far from its baseline (the same window in earlier hours) fires; short history never does', async () => {
    // Six hours of one 500 a minute, then sixty within three minutes from 05:00.
    const lines: [number, string][] = [];
    for (let m = 0; m < 360; m++) lines.push([T0 + m * MIN + 30_000, line(T0 + m * MIN + 30_000, 500, '/api/a')]);
    for (let i = 0; i < 60; i++) lines.push([T0 + 300 * MIN + i * 3_000, line(T0 + 300 * MIN + i * 3_000, 500, '/api/b')]);
    const up = await svc.upload(`${lines.sort((a, b) => a[0] - b[0]).map(([, l]) => l).join('\n')}\n`, { source: 'anomaly', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
    const rule = { name: 'odd', kind: 'anomaly', filter: { status_code: '500', source: 'anomaly' }, window: '5m', min_history: 3 };
    const range = { start_date: at(0), end_date: at(360) };
    // [04:56, 05:01): 25 against a baseline of 5 every hour before (MAD 0, so a scale of one record): z = 20.
    // Once the burst has left the window ([05:03, 05:08) holds 5), it resolves.
    expect((await run(rule, range)).body.episodes).toEqual([{ window_start: at(296), window_end: at(301), value: 20, peak: 60, resolved_at: at(308) }]);
    // Twelve baseline windows are needed by default; six hours of data give at most five.
    expect((await run({ ...rule, min_history: undefined }, range)).body.episodes).toEqual([]);
    // Drops: the burst is no drop.
    expect((await run({ ...rule, operator: '<' }, range)).body.episodes).toEqual([]);
  });

  it('new_value: the first minute a route or status code appears fires once, and no later one does', async () => {
    const routes = { name: 'new route', kind: 'new_value', field: 'route', filter: { source: 'burst' } };
    // /api/x from 00:00, /api/pay from 01:00: each fires in the window ending the minute after and
    // resolves when that minute has left the window.
    expect((await run(routes)).body.episodes).toEqual([
      { window_start: at(-4), window_end: at(1), value: 1, peak: 1, resolved_at: at(6) },
      { window_start: at(56), window_end: at(61), value: 1, peak: 1, resolved_at: at(66) },
    ]);
    // Seen before the range (from 00:00): nothing new after 00:30.
    expect((await run(routes, { start_date: at(30), end_date: at(50) })).body.episodes).toEqual([]);
    const codes = await run({ name: 'new code', kind: 'new_value', field: 'status_code', filter: { source: 'quiet' } });
    expect(codes.body.episodes.map((e) => e.window_end)).toEqual([at(1)]);
  });

  it('new_value: a value seen on an earlier day, or in an earlier hour of the same day, is not new', async () => {
    // /a on day 1 (T0's day) at 10:00 and day 2 at 02:20; /b on day 2 at 00:10 and 02:20; /c at 02:20 only.
    const DAY = 24 * 60;
    const file = [[600, '/a'], [DAY + 10, '/b'], [DAY + 140, '/a'], [DAY + 140, '/b'], [DAY + 140, '/c']]
      .map(([m, path]) => line(T0 + (m as number) * MIN + 5_000, 200, path as string)).join('\n');
    const job = await svc.upload(`${file}\n`, { source: 'days', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(job.body.job_id)).status).toBe('succeeded');
    const rule = { name: 'new route', kind: 'new_value', field: 'route', filter: { source: 'days' } };
    const episodes = async (from: number, to: number) =>
      (await run(rule, { start_date: at(from), end_date: at(to) })).body.episodes.map((e) => [e.window_end, e.value]);
    // From day 2's 02:00 the rule finds /a in the day rollups, /b in the hour rollups (00:00–01:00):
    // one new value at 02:20 (/c), not three.
    expect(await episodes(DAY + 120, DAY + 180)).toEqual([[at(DAY + 141), 1]]);
    expect(await episodes(DAY + 5, DAY + 30)).toEqual([[at(DAY + 11), 1]]);
  });

  it('latency over a 7-day window, for 31 days: the week a slow minute stays in the window is one episode', async () => {
    // From day 10, a 10 ms request every hour for 31 days; on day 13 at 12:00, ten requests of 2.5 s.
    const DAY = 24 * 60;
    const lines: [number, string][] = [];
    for (let h = 0; h < 31 * 24; h++) lines.push([T0 + (10 * DAY + h * 60) * MIN + 30_000, line(T0 + (10 * DAY + h * 60) * MIN + 30_000, 200, '/a')]);
    const slowMinute = 13 * DAY + 12 * 60;
    for (let i = 0; i < 10; i++) lines.push([T0 + slowMinute * MIN + i * 3_000, line(T0 + slowMinute * MIN + i * 3_000, 200, '/b', '2.500')]);
    const up = await svc.upload(`${lines.sort((a, b) => a[0] - b[0]).map(([, l]) => l).join('\n')}\n`, { source: 'week', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
    const rule = { name: 'slow week', kind: 'latency', filter: { source: 'week' }, operator: '>', threshold: 1000, window: '7d' };
    const res = await run(rule, { start_date: at(10 * DAY), end_date: at(41 * DAY) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // The window ending 12:01 holds the slow minute: ten of 95 requests, more than 5%, so p95 is 2.5 s; then
    // 10 of 178 once the window is full of hourly requests. It resolves when that minute leaves, 7 days on.
    const slow = Math.round(bucketValue(bucketIndex(2_500)) * 1000) / 1000;
    expect(res.body).toEqual({
      start_date: at(10 * DAY), end_date: at(41 * DAY), steps: 31 * DAY,
      episodes: [{ window_start: at(slowMinute + 1 - 7 * DAY), window_end: at(slowMinute + 1), value: slow, peak: slow, resolved_at: at(slowMinute + 1 + 7 * DAY) }],
    });
  });

  it('a backtest stops at the end of a day of windows once its signal fires (the client went away)', async () => {
    const rule = loadedRule(ruleSchema.parse({ ...SEED, filter: { ...SEED.filter, source: 'burst' } }));
    const whole = await backtest(svc.db, rule, T0, T0 + 31 * 24 * 60 * MIN);
    expect(whole).toMatchObject({ aborted: false, steps: 31 * 24 * 60, episodes: [{ value: 65 }] });
    const client = new AbortController();
    client.abort();
    const stopped = await backtest(svc.db, rule, T0, T0 + 31 * 24 * 60 * MIN, { signal: client.signal });
    expect(stopped.aborted).toBe(true);
    expect(stopped.steps).toBeLessThanOrEqual(24 * 60);
  });

  it('a rule filter takes a route list and a method as GET /logs does: its window counts what the text holds', async () => {
    const text = siteAccessLog();
    const up = await svc.upload(text, { source: 'site' });
    expect((await svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
    // Read from the text: each line's method, its route (the normaliser's output for its path, as stored at ingest) and its raw line.
    const normaliser = new RouteNormaliser();
    const lines = text.split('\n').filter((l) => l !== '').map((raw) => ({
      raw, method: /^[^"]*"(\S+) /.exec(raw)![1]!, route: normaliser.route(readCombined(raw)!.path)!,
    }));
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l.route, (counts.get(l.route) ?? 0) + 1);
    const routes = [...counts].sort((a, b) => b[1] - a[1]).map(([r]) => r).filter((r) => r.includes('{')).slice(0, 2);
    const count = (pred: (l: (typeof lines)[number]) => boolean): number => lines.filter(pred).length;
    const expected = count((l) => routes.includes(l.route) && l.method === 'GET');
    expect(routes).toHaveLength(2);
    expect(expected).toBeGreaterThan(0);
    // A week's window over the site's four days: at the last window it holds every matching record.
    const days = { start_date: '2015-05-17T00:00:00Z', end_date: '2015-05-22T00:00:00Z' };
    const rule = { name: 'routes', kind: 'count', operator: '>', threshold: 0, window: '7d', filter: { source: 'site', route: routes, method: 'get' } };
    const peak = async (r: object): Promise<unknown> => {
      const { status, body } = await run(r, days);
      expect(status, JSON.stringify(body)).toBe(200);
      return body.episodes.length === 1 ? body.episodes[0]!.peak : body.episodes;
    };
    // From the minute rollups; then from raw rows (q), with a substring every request line holds.
    expect(await peak(rule)).toBe(expected);
    expect(await peak({ ...rule, filter: { ...rule.filter, q: 'HTTP/1.1' } }))
      .toBe(count((l) => routes.includes(l.route) && l.method === 'GET' && l.raw.includes('HTTP/1.1')));
    // One route as a string, as rules stored before lists were kept it.
    expect(await peak({ ...rule, filter: { source: 'site', route: routes[0] } })).toBe(count((l) => l.route === routes[0]));
  });

  it('answers bad input with a 400 naming the field', async () => {
    expect((await run({ ...SEED, filter: { method: 'G T' } })).body.invalid_params?.[0]?.name).toBe('rule.filter.method');
    expect((await run({ ...SEED, filter: { route: '/a', endpoint: '/a' } })).body.invalid_params?.[0]?.name).toBe('rule.filter.route');
    expect((await run({ ...SEED, threshold: 'many' })).body.invalid_params?.[0]?.name).toBe('rule.threshold');
    expect((await run(SEED, { start_date: at(10), end_date: at(5) })).body.invalid_params?.[0]?.name).toBe('end_date');
    expect((await run(SEED, { start_date: 'yesterday', end_date: at(5) })).body.invalid_params?.[0]?.name).toBe('start_date');
    expect((await run(SEED, { start_date: at(0), end_date: at(60 * 24 * 40) })).body.invalid_params?.[0]?.name).toBe('end_date');
    const newValue = await run({ name: 'n', kind: 'new_value', field: 'route', filter: { q: 'pay' } });
    expect(newValue.status).toBe(400);
    expect(newValue.body.invalid_params?.[0]?.name).toBe('rule.filter.q');
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Summary } from '../../src/analytics/summary.js';
import type { Traffic } from '../../src/analytics/traffic.js';
import { chromiumBrowser, openDashboard, type Dashboard } from '../helpers/browser.js';
import { describeBackends } from '../helpers/db.js';
import { readCombined } from '../helpers/logFiles.js';
import { siteAccessLog } from '../helpers/siteLog.js';

/**
 * An ingress-nginx line in its default log-format-upstream (combined, then $request_length $request_time
 * [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length
 * $upstream_response_time $upstream_status $req_id): the request times feed the latency tile and chart.
 * `upstream` null is a request nginx answered itself, whose upstream fields are all `-`.
 */
function ingressLine(time: string, user: string, request: string, status: number, requestTime: string, upstream: { addr: string; time: string } | null, alternative = ''): string {
  const upstreamFields = upstream ? `${upstream.addr} 4817 ${upstream.time} ${status}` : '- - - -';
  return `10.0.7.21 - ${user} [${time} +0000] "${request} HTTP/2.0" ${status} 4790 "https://shop.example.org/cart" `
    + `"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/111.0" 388 ${requestTime} [shop-api-8080] [${alternative}] `
    + `${upstreamFields} 9b1c${time.replace(/\D/g, '')}e2d4`;
}

/** Ten minutes behind an ingress: request times from 1 ms to over a second. */
const INGRESS_LOG = [
  ingressLine('18/Mar/2023:15:00:04', '-', 'GET /api/cart', 200, '0.012', { addr: '10.0.50.80:8080', time: '0.011' }),
  ingressLine('18/Mar/2023:15:01:37', '-', 'GET /api/products?page=2', 200, '0.048', { addr: '10.0.50.81:8080', time: '0.047' }),
  ingressLine('18/Mar/2023:15:02:10', '-', 'GET /healthz', 200, '0.001', null),
  ingressLine('18/Mar/2023:15:04:55', 'bob', 'POST /api/orders', 201, '0.310', { addr: '10.0.50.80:8080', time: '0.308' }, 'shop-api-canary-8080'),
  ingressLine('18/Mar/2023:15:06:21', '-', 'GET /api/orders/5521', 200, '0.095', { addr: '10.0.50.81:8080', time: '0.094' }),
  ingressLine('18/Mar/2023:15:08:42', '-', 'POST /api/checkout', 504, '1.204', { addr: '10.0.50.80:8080', time: '1.202' }),
  ingressLine('18/Mar/2023:15:09:59', '-', 'GET /api/cart', 200, '0.020', { addr: '10.0.50.81:8080', time: '0.019' }),
].join('\n') + '\n';

type SummaryWithPrevious = Summary & { previous?: Summary };

/** The figures the tiles carry in data-value: the API's own numbers, '' for none. */
function tileFigures(s: Summary): Record<string, string> {
  return {
    requests: String(s.total_requests),
    'error-rate': s.total_requests > 0 ? String(s.error_rate_pct) : '',
    p95: s.latency_ms.p95 === null ? '' : String(s.latency_ms.p95),
    clients: String(s.unique_clients),
  };
}

/** Counts the canvas pixels drawn in a chart (uPlot draws series and fills on one canvas). */
const inkedPixels = (testid: string): string => `(() => {
  const c = document.querySelector('[data-testid="${testid}"] canvas');
  if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
  return n;
})()`;

/** Polls for what a page loads: generous, for a machine shared with other test runs. */
const LOADED = { timeout: 15_000 };

describeBackends('Overview page on %s', [chromiumBrowser], (kind) => {
  let d: Dashboard;

  const summary = async (from: string | null, to: string | null, extra = ''): Promise<SummaryWithPrevious> => {
    const qs = new URLSearchParams();
    if (from) qs.set('start_date', from);
    if (to) qs.set('end_date', to);
    const res = await d.svc.getJson<SummaryWithPrevious>(`/analytics/summary?${qs.toString()}${extra}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  const readTiles = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const id of ['requests', 'error-rate', 'p95', 'clients']) {
      out[id] = (await d.page.getByTestId(`tile-${id}`).locator('.value').getAttribute('data-value')) ?? 'missing';
    }
    return out;
  };

  const urlParam = (name: string): string | null => new URL(d.page.url()).searchParams.get(name);

  beforeAll(async () => {
    d = await openDashboard(kind);
  });
  afterAll(async () => d?.close());

  it('with no data at all, says so and points to the Uploads page', async () => {
    await d.page.goto(`${d.base}/`);
    const empty = d.page.getByTestId('overview-empty');
    await empty.waitFor();
    expect(await empty.textContent()).toContain('No data yet');
    await empty.getByRole('button', { name: 'Uploads page' }).click();
    await d.page.locator('nav.top a.active[data-page="uploads"]').waitFor();

    const up = await d.svc.upload(siteAccessLog(), { source: 'site' });
    expect(up.status).toBe(202);
    expect((await d.svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
  });

  it('tiles equal /analytics/summary, with the change against the day before', async () => {
    const from = '2015-05-19T00:00:00.000Z';
    const to = '2015-05-20T00:00:00.000Z';
    const want = await summary(from, to, '&compare=previous');
    expect(want.total_requests).toBeGreaterThan(1000);
    expect(want.previous!.total_requests).toBeGreaterThan(1000);
    await d.page.goto(`${d.base}/?from=${from}&to=${to}`);
    await d.page.getByTestId('tiles').waitFor();
    expect(await readTiles()).toEqual(tileFigures(want));

    // The change reads as a person would compute it from the API's two periods.
    const change = (id: string) => d.page.getByTestId(`tile-${id}-change`);
    const ratio = ((want.total_requests - want.previous!.total_requests) / want.previous!.total_requests) * 100;
    const requestsChange = (await change('requests').textContent())!;
    expect(requestsChange).toContain(ratio > 0 ? '▲' : '▼');
    expect(requestsChange).toContain(`${Math.abs(ratio).toFixed(Math.abs(ratio) < 10 ? 1 : 0)} %`);
    expect(await change('requests').getAttribute('class')).toContain(ratio > 0 ? 'better' : 'worse');
    const pp = want.error_rate_pct - want.previous!.error_rate_pct;
    const errorChange = (await change('error-rate').textContent())!;
    if (Math.abs(pp) >= 0.005) {
      expect(errorChange).toContain(`${Math.abs(pp).toFixed(2)} pp`);
      expect(await change('error-rate').getAttribute('class')).toContain(pp > 0 ? 'worse' : 'better');
    }
    // The site log has no request times: no p95 now or before.
    expect(await change('p95').textContent()).toBe('no previous data');
  });

  it('over all the data: no previous period, charts drawn, top routes and status codes as the API answers', async () => {
    const all = await summary(null, null);
    const from = new Date(Math.floor(Date.parse(all.first_timestamp!) / 60_000) * 60_000).toISOString();
    const to = new Date(Math.floor(Date.parse(all.last_timestamp!) / 60_000) * 60_000 + 60_000).toISOString();
    const want = await summary(from, to, '&compare=previous&top=10');
    await d.page.goto(`${d.base}/?from=${from}&to=${to}`);
    await d.page.getByTestId('tiles').waitFor();
    expect(await readTiles()).toEqual(tileFigures(want));
    expect(await d.page.getByTestId('tile-requests-change').textContent()).toBe('no previous data');

    const traffic = await d.svc.getJson<Traffic>(`/analytics/traffic?start_date=${from}&end_date=${to}&group_by=status_class`);
    const chart = d.page.getByTestId('traffic-chart');
    await expect.poll(() => chart.getAttribute('data-points'), LOADED).toBe(String(traffic.body.series.length));
    const classes = new Set(traffic.body.series.flatMap((p) => Object.keys(p.groups!)));
    expect(await chart.getAttribute('data-series')).toBe(String(classes.size));
    expect(await d.page.evaluate(inkedPixels('traffic-chart'))).toBeGreaterThan(2000);
    await d.page.getByTestId('latency-chart-empty').waitFor();

    const routes = d.page.getByTestId('top-routes').locator('tbody tr');
    expect(await routes.count()).toBe(want.top_endpoints.length);
    expect(await routes.first().getAttribute('data-route')).toBe(want.top_endpoints[0]!.route);
    const codes = await d.svc.getJson<{ items: { status_code: number; count: number }[] }>(`/analytics/status-codes?start_date=${from}&end_date=${to}`);
    const codeRows = d.page.getByTestId('status-codes').locator('tbody tr');
    expect(await codeRows.count()).toBe(codes.body.items.length);
    expect(await codeRows.first().getAttribute('data-status')).toBe(String(codes.body.items[0]!.status_code));

    await d.screenshot(`overview-${kind}-1280x800`);

    // A top route opens on the Endpoints page with that route, the range kept.
    await routes.first().getByRole('link').click();
    await d.page.getByTestId('route-detail').waitFor();
    expect(urlParam('route')).toBe(want.top_endpoints[0]!.route);
    expect(urlParam('from')).toBe(from);
  });

  it('the filter bar narrows every panel: the 5xx of the site, as the file counts them', async () => {
    const from = '2015-05-17T00:00:00.000Z';
    const to = '2015-05-21T00:00:00.000Z';
    const inFile = siteAccessLog().split('\n').filter((l) => l !== '').map((l) => readCombined(l)!).filter((r) => r.status >= 500);
    expect(inFile.length).toBeGreaterThan(0);
    await d.page.goto(`${d.base}/?from=${from}&to=${to}`);
    await d.page.getByTestId('tiles').waitFor();
    await d.page.getByLabel('Status', { exact: true }).fill('5xx');
    await d.page.getByRole('button', { name: 'Apply', exact: true }).click();
    await expect.poll(() => urlParam('status_code'), LOADED).toBe('5xx');
    expect(urlParam('from')).toBe(from);
    await expect.poll(async () => (await readTiles()).requests, LOADED).toBe(String(inFile.length));
    const codes = await d.page.getByTestId('status-codes').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as unknown as { dataset: { status: string } }).dataset.status));
    expect(new Set(codes)).toEqual(new Set(inFile.map((r) => String(r.status))));

    // A value the API refuses is named on its field, and the page says so instead of failing.
    await d.page.goto(`${d.base}/?from=${from}&to=${to}&status_code=abc`);
    const error = d.page.getByTestId('filter-error');
    await error.waitFor(LOADED);
    expect(await error.textContent()).toContain('status_code');
    expect(await d.page.locator('[data-param="status_code"] input').getAttribute('aria-invalid')).toBe('true');
  });

  it('a drag across the traffic chart selects that time range, and the tiles follow it', async () => {
    const from = '2015-05-17T00:00:00.000Z';
    const to = '2015-05-21T00:00:00.000Z';
    await d.page.goto(`${d.base}/?from=${from}&to=${to}`);
    const over = d.page.getByTestId('traffic-chart').locator('.u-over');
    await over.waitFor();
    const box = (await over.boundingBox())!;
    await d.page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await d.page.mouse.down();
    await d.page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 5 });
    await d.page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await d.page.mouse.up();
    await expect.poll(() => urlParam('from'), LOADED).not.toBe(from);
    const newFrom = urlParam('from')!;
    const newTo = urlParam('to')!;
    expect(Date.parse(newFrom)).toBeGreaterThan(Date.parse(from));
    expect(Date.parse(newTo)).toBeLessThan(Date.parse(to));
    expect(Date.parse(newTo)).toBeGreaterThan(Date.parse(newFrom));
    const want = await summary(newFrom, newTo);
    expect(want.total_requests).toBeLessThan((await summary(from, to)).total_requests);
    await expect.poll(readTiles, LOADED).toEqual(tileFigures(want));
  });

  it('with no range in the URL, shows the most recent day of data, not an empty hour', async () => {
    await d.page.goto(`${d.base}/`);
    await d.page.getByTestId('tiles').waitFor();
    const all = await summary(null, null);
    const end = Math.floor(Date.parse(all.last_timestamp!) / 60_000) * 60_000 + 60_000;
    const start = Math.floor(Math.max(Date.parse(all.first_timestamp!), end - 86_400_000) / 60_000) * 60_000;
    const want = await summary(new Date(start).toISOString(), new Date(end).toISOString());
    expect(want.total_requests).toBeGreaterThan(1000);
    expect(await readTiles()).toEqual(tileFigures(want));
    await expect.poll(() => d.page.getByTestId('traffic-chart').getAttribute('data-points'), LOADED).not.toBe('0');

    // A range with nothing in it says so.
    await d.page.goto(`${d.base}/?from=2001-01-01T00:00:00.000Z&to=2001-01-02T00:00:00.000Z`);
    expect(await d.page.getByTestId('overview-empty').textContent()).toContain('No data in this range');
  });

  it('latency: the p95 tile and the p95/p99 chart of a log with request times', async () => {
    const up = await d.svc.upload(INGRESS_LOG, { source: 'ingress' });
    expect(up.status).toBe(202);
    const job = await d.svc.waitForJob(up.body.job_id);
    expect(job.status).toBe('succeeded');
    // Every line read as ingress-nginx's, so each request time is among the figures.
    expect(job.format).toBe('nginx_upstreaminfo');
    expect(job.lines_ingested).toBe(INGRESS_LOG.split('\n').length - 1);
    const res = await d.svc.getJson<Summary>('/analytics/summary?source=ingress');
    expect(res.body.latency_ms.p95).not.toBeNull();
    await d.page.goto(`${d.base}/?range=all&source=ingress`);
    await d.page.getByTestId('tiles').waitFor();
    expect(await readTiles()).toEqual(tileFigures(res.body));
    const chart = d.page.getByTestId('latency-chart');
    await expect.poll(() => chart.getAttribute('data-series'), LOADED).toBe('2');
    expect(await d.page.getByLabel('Source').inputValue()).toBe('ingress');
  });

  it('fits a phone screen, asks nothing of another host, and throws nothing', async () => {
    await d.page.setViewportSize({ width: 390, height: 844 });
    await d.page.goto(`${d.base}/?from=2015-05-19T00:00:00.000Z&to=2015-05-20T00:00:00.000Z`);
    await d.page.getByTestId('traffic-chart').locator('canvas').waitFor();
    expect(await d.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await d.screenshot(`overview-${kind}-390x844`);
    await d.page.setViewportSize({ width: 1280, height: 800 });
    expect(d.outside).toEqual([]);
    expect(d.cspViolations).toEqual([]);
    expect(d.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});

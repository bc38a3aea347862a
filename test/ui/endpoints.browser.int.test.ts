import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EndpointRow } from '../../src/analytics/endpoints.js';
import type { Traffic } from '../../src/analytics/traffic.js';
import { chromiumBrowser, openDashboard, type Dashboard } from '../helpers/browser.js';
import { describeBackends } from '../helpers/db.js';
import { readCombined } from '../helpers/logFiles.js';
import { siteAccessLog } from '../helpers/siteLog.js';

/**
 * A small site's generated Apache combined log, 17–20 May 2015: 10,000 lines, about thirty routes, and
 * 500s placed on purpose on /misc/Title.php.txt and /projects/xdotool/ (test/helpers/siteLog.ts).
 */
const ACCESS_LOG = siteAccessLog();
const records = ACCESS_LOG.split('\n').filter((l) => l !== '').map((l) => readCombined(l)!);
/** Lines of the site log whose path matches, and their 5xx, as the file has them. */
function countLines(match: (path: string) => boolean): { count: number; errors: number } {
  const matching = records.filter((r) => match(r.path));
  return { count: matching.length, errors: matching.filter((r) => r.status >= 500).length };
}

/**
 * A crawler reading 150 tag pages (one route each: words, no identifiers) on 18 May, so that the site
 * has more routes than the table's first 100.
 */
function crawlLog(): string {
  const word = (n: number): string => String.fromCharCode(97 + (n % 26)) + String.fromCharCode(97 + Math.floor(n / 26));
  return Array.from({ length: 150 }, (_, i) =>
    `198.51.100.7 - - [18/May/2015:03:${String(Math.floor(i / 3)).padStart(2, '0')}:${String((i % 3) * 20).padStart(2, '0')} +0000] "GET /tags/${word(i)}-notes HTTP/1.1" 200 4096 "-" "crawler/1.0"\n`).join('');
}
const FROM = '2015-05-17T00:00:00.000Z';
const TO = '2015-05-21T00:00:00.000Z';
const RANGE = `start_date=${FROM}&end_date=${TO}`;

/** Polls for what a page loads: generous, for a machine shared with other test runs. */
const LOADED = { timeout: 15_000 };

describeBackends('Endpoints page on %s', [chromiumBrowser], (kind) => {
  let d: Dashboard;

  const endpoints = async (sort: string, limit = 100): Promise<EndpointRow[]> => {
    const res = await d.svc.getJson<{ items: EndpointRow[] }>(`/analytics/endpoints?${RANGE}&sort=${sort}&limit=${limit}`);
    expect(res.status).toBe(200);
    return res.body.items;
  };
  const rows = () => d.page.getByTestId('routes-table').locator('tbody tr');
  const urlParam = (name: string): string | null => new URL(d.page.url()).searchParams.get(name);

  beforeAll(async () => {
    d = await openDashboard(kind);
    // A route rule, so one failing route's paths are several paths named by a rule.
    const rule = await d.svc.inject({ method: 'POST', url: '/analytics/route-rules', payload: { pattern: '/misc/*', template: '/misc/{file}' } });
    expect(rule.statusCode).toBe(201);
    for (const [text, source] of [[ACCESS_LOG, 'site'], [crawlLog(), 'crawler']] as const) {
      const up = await d.svc.upload(text, { source });
      expect(up.status).toBe(202);
      expect((await d.svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
    }
  });
  afterAll(async () => d?.close());

  it('lists the routes as the API ranks them, and re-ranks by a clicked column kept in the URL', async () => {
    const byCount = await endpoints('count');
    await d.page.goto(`${d.base}/ui/endpoints?from=${FROM}&to=${TO}`);
    await rows().first().waitFor();
    expect(await rows().count()).toBe(byCount.length);
    expect(await rows().first().getAttribute('data-route')).toBe(byCount[0]!.route);
    expect(await rows().first().locator('td').nth(1).textContent()).toBe(byCount[0]!.count.toLocaleString('en-US'));

    for (const [label, sort] of [['p95', 'p95'], ['Error rate', 'error_rate'], ['p99', 'p99'], ['Requests', 'count']] as const) {
      const want = await endpoints(sort);
      await d.page.getByTestId('routes-table').getByRole('button', { name: label, exact: true }).click();
      await expect.poll(() => urlParam('sort'), LOADED).toBe(sort);
      await expect.poll(() => rows().first().getAttribute('data-route'), LOADED).toBe(want[0]!.route);
      expect(await rows().nth(1).getAttribute('data-route')).toBe(want[1]!.route);
      expect(await d.page.locator('th[aria-sort="descending"] button').getAttribute('data-sort')).toBe(sort);
    }
    // More routes on demand: as many as the API gives for that limit.
    const longer = await endpoints('count', 500);
    expect(longer.length).toBeGreaterThan(100);
    await d.page.getByRole('button', { name: 'Show up to 500 routes' }).click();
    await expect.poll(() => rows().count(), LOADED).toBe(longer.length);
    expect(urlParam('limit')).toBe('500');
    // The sort survives a reload (it is the URL's).
    await d.page.goto(`${d.base}/ui/endpoints?from=${FROM}&to=${TO}&sort=error_rate`);
    expect(await rows().first().getAttribute('data-route')).toBe((await endpoints('error_rate'))[0]!.route);
    await d.screenshot(`endpoints-${kind}-1280x800`);
  });

  it('a click on a route opens its traffic chart and its recent 5xx lines', async () => {
    const ranked = await endpoints('error_rate');
    const misc = ranked.find((r) => r.route === '/misc/{file}')!;
    const inFile = countLines((p) => p.startsWith('/misc/'));
    expect(inFile.errors).toBeGreaterThan(0);
    expect(misc).toMatchObject(inFile);
    await d.page.goto(`${d.base}/ui/endpoints?from=${FROM}&to=${TO}&sort=error_rate`);
    // A click on the row's Requests cell (not on the route's own button).
    await d.page.locator('tr[data-route="/misc/{file}"] td').nth(1).click();
    await expect.poll(() => urlParam('route'), LOADED).toBe('/misc/{file}');
    const detail = d.page.getByTestId('route-detail');
    await detail.waitFor();

    const traffic = await d.svc.getJson<Traffic>(`/analytics/traffic?${RANGE}&route=${encodeURIComponent(misc.route)}&group_by=status_class`);
    expect(traffic.body.series.reduce((a, p) => a + p.count, 0)).toBe(misc.count);
    const chart = detail.getByTestId('traffic-chart');
    await expect.poll(() => chart.getAttribute('data-points'), LOADED).toBe(String(traffic.body.series.length));
    const inked = await d.page.evaluate(`(() => {
      const c = document.querySelector('[data-testid="route-detail"] [data-testid="traffic-chart"] canvas');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
      return n;
    })()`);
    expect(inked).toBeGreaterThan(1000);
    await detail.getByTestId('latency-chart-empty').waitFor(); // this log has no request times

    // The error lines: exactly the route's 5xx lines of the range, as the raw rows have them.
    const raw = await d.svc.db.query<{ endpoint: string; status_code: number }>(
      "SELECT endpoint, status_code FROM logs WHERE route = '/misc/{file}' AND status_code >= 500 AND timestamp >= $1 AND timestamp < $2 ORDER BY timestamp DESC, id DESC",
      [FROM, TO],
    );
    expect(raw.rows).toHaveLength(inFile.errors);
    const lines = detail.getByTestId('route-errors').locator('tbody tr');
    await expect.poll(() => lines.count(), LOADED).toBe(raw.rows.length);
    for (const [i, r] of raw.rows.entries()) {
      expect(await lines.nth(i).locator('td').nth(1).textContent()).toBe(String(r.status_code));
      expect(await lines.nth(i).locator('td').nth(2).textContent()).toContain(r.endpoint);
    }
    expect(raw.rows.length).toBeLessThan(20);
    expect(await detail.getByTestId('route-errors-note').textContent()).toContain(`All ${raw.rows.length} in this range.`);
    await d.screenshot(`endpoints-${kind}-route-1280x800`);

    // The same lines on the Logs page, asked by the route stored with each record.
    await detail.getByRole('link', { name: 'Open on the Logs page' }).click();
    await expect.poll(() => urlParam('route'), LOADED).toBe('/misc/{file}');
    expect(urlParam('status_code')).toBe('5xx');
    expect(urlParam('from')).toBe(FROM);
    await d.page.getByTestId('end-of-results').waitFor(LOADED);
    expect(await d.page.locator('tr.log-row').count()).toBe(raw.rows.length);

    // A shared link opens the same route; closing it keeps the range and the sort.
    await d.page.goto(`${d.base}/ui/endpoints?from=${FROM}&to=${TO}&sort=error_rate&route=${encodeURIComponent('/projects/xdotool/')}`);
    const xdotool = countLines((p) => p === '/projects/xdotool/');
    expect(xdotool.errors).toBeGreaterThan(0);
    await expect.poll(() => d.page.getByTestId('route-errors').locator('tbody tr').count(), LOADED).toBe(xdotool.errors);
    await d.page.getByRole('button', { name: 'Close route' }).click();
    await expect.poll(() => urlParam('route'), LOADED).toBeNull();
    expect(urlParam('sort')).toBe('error_rate');
    expect(urlParam('from')).toBe(FROM);
  });

  it('a route without errors says so', async () => {
    const clean = (await endpoints('count')).find((r) => r.errors === 0)!;
    await d.page.goto(`${d.base}/ui/endpoints?from=${FROM}&to=${TO}&route=${encodeURIComponent(clean.route)}`);
    const detail = d.page.getByTestId('route-detail');
    await detail.waitFor();
    expect(await detail.textContent()).toContain('No 5xx responses for this route in this range.');
  });

  it('fits a phone screen, asks nothing of another host, and throws nothing', async () => {
    await d.page.setViewportSize({ width: 390, height: 844 });
    await d.page.goto(`${d.base}/ui/endpoints?from=${FROM}&to=${TO}&sort=error_rate&route=${encodeURIComponent('/misc/{file}')}`);
    await d.page.getByTestId('route-detail').getByTestId('traffic-chart').locator('canvas').waitFor();
    expect(await d.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await d.screenshot(`endpoints-${kind}-390x844`);
    await d.page.setViewportSize({ width: 1280, height: 800 });
    expect(d.outside).toEqual([]);
    expect(d.cspViolations).toEqual([]);
    expect(d.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import type { IngestJob } from '../../src/ingest/jobs.js';
import { chromiumBrowser, openDashboard, type Dashboard } from '../helpers/browser.js';
import { describeBackends } from '../helpers/db.js';
import { readCombined } from '../helpers/logFiles.js';
import { probeAccessLog } from '../helpers/siteLog.js';

/** Six days of a site under probes (generated: /join_form, /login_form, 404 scans, a 405), 3,456 lines. */
const ACCESS_LOG = probeAccessLog();
const lines = ACCESS_LOG.split('\n').filter((l) => l !== '');

/** The IPv6 client on the fewest of the file's lines: a text that only a handful of lines hold. */
function rarestIpv6Client(fileLines: string[]): string {
  const counts = new Map<string, number>();
  for (const l of fileLines) {
    const client = l.slice(0, l.indexOf(' '));
    if (client.includes(':')) counts.set(client, (counts.get(client) ?? 0) + 1);
  }
  const rarest = [...counts].sort((a, b) => a[1] - b[1])[0];
  if (!rarest) throw new Error('the probe log has no IPv6 client');
  return rarest[0];
}
const RARE = rarestIpv6Client(lines);

/** The 4xx status on the fewest of the file's lines, and on how many (as test/helpers/logFiles.ts reads them). */
function rarestClientError(fileLines: string[]): [number, number] {
  const counts = new Map<number, number>();
  for (const l of fileLines) {
    const status = readCombined(l)?.status;
    if (status !== undefined && status >= 400 && status < 500) counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const rarest = [...counts].sort((a, b) => a[1] - b[1])[0];
  if (!rarest) throw new Error('the probe log has no 4xx line');
  return rarest;
}

interface LogItem { id: number; status_code: number | null; raw_log: string }

/** A combined-format line stamped now, so it is new whatever the range. */
function freshLine(path: string): string {
  const d = new Date();
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
  return `203.0.113.9 - - [${time}] "GET ${path} HTTP/1.1" 200 512 "-" "live-test"\n`;
}

describeBackends('Logs page on %s', [chromiumBrowser], (kind) => {
  let d: Dashboard;
  let job: IngestJob;
  let rangeQs: string;
  beforeAll(async () => {
    d = await openDashboard(kind);
    const up = await d.svc.upload(ACCESS_LOG, { source: 'probes' });
    job = await d.svc.waitForJob(up.body.job_id);
    expect(job.status).toBe('succeeded');
    const to = new Date(Date.parse(job.max_timestamp!) + 1000).toISOString();
    rangeQs = new URLSearchParams({ from: job.min_timestamp!, to }).toString();
  });
  afterAll(async () => d?.close());

  const rows = () => d.page.locator('tr.log-row');
  /** GET /logs for the job's range and the given filters: every item, following the cursor. */
  async function apiItems(filters: Record<string, string>): Promise<LogItem[]> {
    const out: LogItem[] = [];
    let cursor: string | null = null;
    do {
      const qs = new URLSearchParams({ start_date: job.min_timestamp!, end_date: new Date(Date.parse(job.max_timestamp!) + 1000).toISOString(), limit: '1000', ...filters });
      if (cursor) qs.set('cursor', cursor);
      const res = await d.svc.getJson<{ items: LogItem[]; next_cursor: string | null }>(`/logs?${qs.toString()}`);
      expect(res.status).toBe(200);
      out.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor);
    return out;
  }

  it('finds the lines that hold a rare text, and a row expands to the raw line of the file', async () => {
    const { page } = d;
    const expected = lines.filter((l) => l.toLowerCase().includes(RARE.toLowerCase()));
    expect(expected.length).toBeGreaterThan(0);
    await page.goto(`${d.base}/ui/logs?${rangeQs}`);
    await page.getByLabel('Text').fill(RARE);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByTestId('end-of-results').waitFor();
    expect(new URL(page.url()).searchParams.get('q')).toBe(RARE);
    expect(await rows().count()).toBe(expected.length);
    expect(await rows().count()).toBe((await apiItems({ q: RARE })).length);

    await rows().first().locator('td').first().click();
    const raw = await page.getByTestId('raw-line').textContent();
    expect(expected).toContain(raw);
    expect(await rows().first().getAttribute('aria-expanded')).toBe('true');
  });

  it('narrows the table to a status code when one is clicked', async () => {
    const { page } = d;
    await page.goto(`${d.base}/ui/logs?${rangeQs}&status_code=4xx`);
    await rows().first().waitFor();
    // The file's rarest 4xx: all its lines fit the table's first page, so the end of the results shows.
    const [code, count] = rarestClientError(lines);
    expect(count).toBeLessThanOrEqual(100);
    const button = page.locator('tr.log-row [data-filter="status_code"]', { hasText: new RegExp(`^${code}$`) }).first();
    await button.click();
    await expect.poll(() => new URL(page.url()).searchParams.get('status_code')).toBe(String(code));
    await page.getByTestId('end-of-results').waitFor();
    const statuses = await page.locator('tr.log-row td[data-col="status"]').allTextContents();
    expect(statuses.length).toBe((await apiItems({ status_code: String(code) })).length);
    expect(statuses.length).toBe(count);
    expect(new Set(statuses)).toEqual(new Set([String(code)]));
  });

  it('loads the next page when the end of the table is scrolled into view, without duplicates', async () => {
    const { page } = d;
    expect(lines.length).toBeGreaterThan(200);
    await page.goto(`${d.base}/ui/logs?${rangeQs}`);
    await rows().first().waitFor();
    expect(await rows().count()).toBe(100);
    await page.getByTestId('scroll-sentinel').scrollIntoViewIfNeeded();
    await expect.poll(() => rows().count()).toBeGreaterThanOrEqual(200);
    const ids = await rows().evaluateAll((trs) => trs.map((tr) => (tr as unknown as { dataset: { id: string } }).dataset.id));
    expect(new Set(ids).size).toBe(ids.length);
    // The same records, in the same order, as the API's first pages.
    const api = (await apiItems({})).slice(0, ids.length).map((r) => String(r.id));
    expect(ids).toEqual(api);
  });

  it('names the bad parameter when the API refuses a filter', async () => {
    const { page } = d;
    await page.goto(`${d.base}/ui/logs?${rangeQs}&status_code=abc`);
    const error = page.getByTestId('filter-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('status_code');
    expect(await page.locator('[data-param="status_code"] input').getAttribute('aria-invalid')).toBe('true');

    // A text search over all the data: the embedded database states its scan bound; PostgreSQL answers.
    await page.goto(`${d.base}/ui/logs?range=all&q=${encodeURIComponent(RARE)}`);
    if (kind === 'pglite') {
      await error.waitFor();
      expect(await error.textContent()).toMatch(/start_date.*on the embedded database a search with q or endpoint scans at most 7 days/);
    } else {
      await page.getByTestId('end-of-results').waitFor();
    }
  });

  it('shows a line ingested after Live was switched on, and holds new lines while paused', async () => {
    const { page } = d;
    await page.goto(`${d.base}/ui/logs?${rangeQs}`);
    await rows().first().waitFor();
    await page.getByLabel('Live').check();
    const status = page.getByTestId('live-status');
    await expect.poll(() => status.getAttribute('data-state')).toBe('live');
    expect(new URL(page.url()).searchParams.get('live')).toBe('1');

    const first = `/live-${Date.now().toString(36)}-a`;
    await d.svc.upload(freshLine(first), { source: 'live' });
    await page.locator('tr.log-row', { hasText: first }).waitFor({ timeout: 30_000 });

    await page.getByRole('button', { name: 'Pause' }).click();
    const second = `/live-${Date.now().toString(36)}-b`;
    const up = await d.svc.upload(freshLine(second), { source: 'live' });
    await d.svc.waitForJob(up.body.job_id);
    await expect.poll(() => status.textContent(), { timeout: 30_000 }).toBe('paused · 1 new');
    expect(await page.locator('tr.log-row', { hasText: second }).count()).toBe(0);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('tr.log-row', { hasText: second }).waitFor();
    // Newest first.
    expect(await rows().first().textContent()).toContain(second);
    await d.screenshot(`logs-live-1280${kind === 'pglite' ? '' : `-${kind}`}`);

    // Live off: the stream closes and the search comes back.
    await page.getByLabel('Live').uncheck();
    await page.getByTestId('scroll-sentinel').waitFor();
    expect(await page.getByTestId('live-status').count()).toBe(0);
  });

  it('streams only what matches the filters, and marks the records it dropped in a burst', async () => {
    const { page } = d;
    await page.goto(`${d.base}/ui/logs?live=1&source=burst`);
    const status = page.getByTestId('live-status');
    await expect.poll(() => status.getAttribute('data-state')).toBe('live');
    const other = `/live-${Date.now().toString(36)}-other`;
    await d.svc.waitForJob((await d.svc.upload(freshLine(other), { source: 'elsewhere' })).body.job_id);
    // The whole file again, forced: far more records per ingest batch than a stream sends at once.
    const up = await d.svc.upload(ACCESS_LOG, { source: 'burst', force: 'true' });
    expect(up.status).toBe(202);
    await d.svc.waitForJob(up.body.job_id);
    const accounted = async () => {
      const markers = await page.getByTestId('marker-row').allTextContents();
      const dropped = markers.map((m) => Number(/^dropped ([\d,]+) records/.exec(m)?.[1]?.replace(/,/g, '') ?? 0)).reduce((a, b) => a + b, 0);
      return { dropped: dropped > 0, total: dropped + (await rows().count()) };
    };
    // Every record of the file is either shown or counted in a marker.
    await expect.poll(accounted, { timeout: 30_000 }).toEqual({ dropped: true, total: lines.length });
    expect(await page.locator('tr.log-row', { hasText: other }).count()).toBe(0);
    expect(new Set(await page.locator('tr.log-row [data-filter="source"]').allTextContents())).toEqual(new Set(['burst']));
  });

  it('fits 1280×800 and a phone screen', async () => {
    const { page } = d;
    await page.goto(`${d.base}/ui/logs?${rangeQs}&level=WARN,ERROR`);
    await rows().first().waitFor();
    await rows().first().locator('td').first().click();
    await d.screenshot(`logs-1280${kind === 'pglite' ? '' : `-${kind}`}`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await rows().first().waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await d.screenshot(`logs-390${kind === 'pglite' ? '' : `-${kind}`}`);
    expect(d.outside).toEqual([]);
    expect(d.cspViolations).toEqual([]);
    expect(d.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumBrowser, openDashboard, type Dashboard } from '../helpers/browser.js';
import { describeBackends } from '../helpers/db.js';
import { TEST_ADMIN_KEY } from '../helpers/env.js';
import { accessLines } from '../helpers/liveLines.js';

describeBackends('Sources page on %s', [chromiumBrowser], (kind) => {
  let d: Dashboard;
  beforeAll(async () => {
    d = await openDashboard(kind);
  });
  afterAll(async () => d?.close());

  /** Sends lines as `loginsights ship` would, from byte `offset` of its stream. */
  const ship = async (lines: string[], offset: number): Promise<number> => {
    const body = `${lines.join('\n')}\n`;
    const res = await fetch(`${d.base}/ingest/stream?source=shipper-1&stream=host%2Faccess&offset=${offset}`, {
      method: 'POST', body, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(200);
    return offset + Buffer.byteLength(body);
  };

  it('lists a live source with its protocol and status, and its counts move on as it sends, without a reload', async () => {
    const { page } = d;
    const offset = await ship(accessLines(5, 51), 0);
    await page.goto(`${d.base}/ui/sources`);
    await page.locator('main[data-state="ready"]').waitFor();
    expect(await page.locator('nav.top a.active').getAttribute('data-page')).toBe('sources');
    const row = page.locator('[data-testid="source-row"][data-source="shipper-1"]');
    await row.waitFor();
    expect(await row.getAttribute('data-protocol')).toBe('ship');
    expect(await row.getAttribute('data-status')).toBe('receiving');
    expect(await row.locator('[data-testid="source-status"]').textContent()).toBe('receiving');

    // The page draws itself again every 5 s: the next batch's lines show up once parsed.
    await ship(accessLines(3, 52), offset);
    await expect.poll(() => row.locator('[data-testid="source-processed"]').textContent(), { timeout: 30_000 }).toBe('8');
    await d.screenshot(`sources-${kind}-1280x800`);
    expect(d.errors).toEqual([]);
    expect(d.outside).toEqual([]);
    expect(d.cspViolations).toEqual([]);
  }, 60_000);
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumBrowser, openDashboard, type Dashboard } from '../helpers/browser.js';
import { line } from '../helpers/burstLog.js';
import { describeBackends } from '../helpers/db.js';

const MIN = 60_000;
/** The access log: four hours across midnight, 2026-10-01 22:00 to 2026-10-02 02:00 UTC. */
const ACCESS_START = Date.UTC(2026, 9, 1, 22, 0, 0);
const ACCESS_MINUTES = 240;

/**
 * Per minute 20–24 requests answered 200 (never fewer), one 404 and one 500: a stack whose lowest band is
 * most of it, so that a y-axis that does not start at zero shows at once.
 */
function accessLog(): { text: string; lines: number } {
  const lines: string[] = [];
  for (let m = 0; m < ACCESS_MINUTES; m++) {
    const t = ACCESS_START + m * MIN;
    for (let i = 0; i < 20 + (m % 5); i++) lines.push(line(t + i * 1000, 200, `/api/items/${i}`));
    lines.push(line(t + 40_000, 404, '/missing'), line(t + 50_000, 500, '/api/pay'));
  }
  return { text: `${lines.join('\n')}\n`, lines: lines.length };
}

/** Ten nginx error-log lines two days after the access log: the newest data, but not what to open on. */
const ERROR_LOG = Array.from({ length: 10 }, (_, i) =>
  `2026/10/04 09:0${i}:00 [error] 31#31: *${i + 1} open() "/srv/missing" failed (2: No such file or directory), client: 10.0.0.${i + 1}, server: web, request: "GET /missing HTTP/1.1"`,
).join('\n') + '\n';

/** What the traffic chart's axes were last drawn with (the chart records them: the canvas has no text to read). */
async function axisLabels(d: Dashboard): Promise<{ x: string[]; y: string[] }> {
  const chart = d.page.getByTestId('traffic-chart');
  await expect.poll(() => chart.getAttribute('data-y-ticks')).not.toBeNull();
  return { x: JSON.parse((await chart.getAttribute('data-x-ticks'))!) as string[], y: JSON.parse((await chart.getAttribute('data-y-ticks'))!) as string[] };
}

describeBackends('Overview: the range it opens on and its axes, on %s', [chromiumBrowser], (kind) => {
  let d: Dashboard;
  const access = accessLog();

  beforeAll(async () => {
    d = await openDashboard(kind);
    // The big access log first, the tiny error log last: the newest day of any data has no requests.
    for (const [body, source] of [[access.text, 'web-1'], [ERROR_LOG, 'errors']] as const) {
      const up = await d.svc.upload(body, { source });
      expect(up.status).toBe(202);
      expect((await d.svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
    }
  });
  afterAll(async () => d?.close());

  it("opens on the busy source's latest day, not on a newer tiny log, and says which", async () => {
    const asked: string[] = [];
    const onRequest = (r: { url(): string }): void => { if (r.url().includes('/analytics/')) asked.push(new URL(r.url()).pathname); };
    d.page.on('request', onRequest);
    await d.page.goto(`${d.base}/`);
    await d.page.locator('main#page[data-state="ready"]').waitFor();
    d.page.off('request', onRequest);
    // The sources are asked once, for the default range and the source filter both.
    expect(asked.filter((p) => p === '/analytics/sources')).toHaveLength(1);
    expect(await d.page.getByTestId('tile-requests').locator('.value').getAttribute('data-value')).toBe(String(access.lines));
    const note = d.page.getByTestId('range-note');
    expect(await note.textContent()).toContain("Showing web-1's latest day of data, 2026-10-02: errors (10 records) has newer records");
    expect(await d.page.getByTestId('range-shown').textContent()).toBe('2026-10-01 22:00 → 2026-10-02 02:00 UTC');
    // "change range" leads to the range picker.
    await note.getByRole('button', { name: 'change range' }).click();
    expect(await d.page.evaluate("document.activeElement?.getAttribute('data-testid')")).toBe('range-preset');
  });

  it('draws the stacked traffic from zero, with 24-hour UTC times and dates on its axis', async () => {
    await d.page.goto(`${d.base}/?from=2026-10-01T22:00:00.000Z&to=2026-10-02T02:00:00.000Z`);
    const { x, y } = await axisLabels(d);
    // A stacked area stands on zero: the lowest y tick is 0 (the 2xx band alone never falls below 20).
    expect(y.map(Number)[0]).toBe(0);
    expect(y.map(Number)).toEqual([...y.map(Number)].sort((a, b) => a - b));
    expect(Math.max(...y.map(Number))).toBeGreaterThanOrEqual(20);
    // Every line of every label is a 24-hour time or a date; never am/pm.
    expect(x.length).toBeGreaterThan(2);
    for (const label of x) {
      for (const part of label.split('\n')) expect(part).toMatch(/^(\d{2}:\d{2}|\d{4}-\d{2}-\d{2})$/);
      expect(label).not.toMatch(/am|pm/i);
    }
    // The range crosses midnight: the date is shown at the first tick and where the day changes.
    expect(x[0]).toMatch(/\n2026-10-01$/);
    expect(x).toContain('00:00\n2026-10-02');
    expect(d.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});

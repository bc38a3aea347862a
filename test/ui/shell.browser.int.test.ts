import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs, TEST_ADMIN_KEY } from '../helpers/env.js';
import { chromiumBrowser, openDashboard, type Dashboard } from '../helpers/browser.js';

describe('dashboard shell in Chromium', needs(chromiumBrowser), () => {
  let d: Dashboard;
  beforeAll(async () => {
    d = await openDashboard('pglite', { signedIn: false });
  });
  afterAll(async () => d?.close());

  it('asks for the API key once, refuses a wrong one, and keeps the right one out of the URL', async () => {
    const { page } = d;
    await page.goto(`${d.base}/`);
    const input = page.getByLabel('API key');
    await input.fill('li_not_a_real_key_000000000000000000000000000');
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');

    await input.fill(TEST_ADMIN_KEY);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await page.locator('nav.top a.active[data-page="overview"]').waitFor();
    expect(page.url()).not.toContain(TEST_ADMIN_KEY);
    expect(await page.evaluate("sessionStorage.getItem('loginsights.apiKey')")).toBe(TEST_ADMIN_KEY);

    // Another page of the same tab: no second question.
    await page.goto(`${d.base}/ui/logs`);
    await page.locator('nav.top a.active[data-page="logs"]').waitFor();
    expect(await page.getByLabel('API key').count()).toBe(0);
    expect(d.outside).toEqual([]);
    expect(d.cspViolations).toEqual([]);
  });

  it('shows Swagger UI under the strict CSP: every operation listed, one opened, nothing blocked', async () => {
    const { page } = d;
    await page.goto(`${d.base}/docs/`);
    await page.locator('.opblock-summary-path', { hasText: '/logs/upload' }).first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(30);
    await page.getByRole('button', { name: 'Authorize' }).first().waitFor(); // where the key goes
    await page.locator('.opblock-summary', { hasText: '/ingest/jobs/{id}/rejected' }).first().click();
    await page.locator('.opblock-body .parameters').first().waitFor();
    // Swagger UI's styles are applied (a stylesheet refused by the CSP would leave its layout unstyled).
    expect(await page.evaluate("getComputedStyle(document.querySelector('.swagger-ui .opblock')).borderRadius")).not.toBe('0px');
    expect(d.cspViolations).toEqual([]);
    expect(d.outside).toEqual([]);
  });

  it('serves every page path and answers an unknown one with 404', async () => {
    for (const p of ['overview', 'endpoints', 'logs', 'uploads', 'alerts']) {
      const res = await fetch(`${d.base}/ui/${p}`);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
    expect((await fetch(`${d.base}/ui/nothing`)).status).toBe(404);
    // The assets are public (code, no data) and cacheable for good: their names carry their hash.
    const html = await (await fetch(`${d.base}/`)).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const res = await fetch(`${d.base}${asset!}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
  });
});

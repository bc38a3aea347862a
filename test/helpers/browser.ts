import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium, signedInScript } from '../../bench/chromium.js';
import type { DbKind } from '../../src/db/db.js';
import { REPO_ROOT, requirement, TEST_ADMIN_KEY } from './env.js';
import { startTestService, type TestService } from './service.js';

export const CHROMIUM_PATH = findChromium();
export const chromiumBrowser = requirement('Chromium', CHROMIUM_PATH !== null, "not found; install Debian's package: apt-get install chromium");

export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-artifacts', 'screenshots');

export interface Dashboard {
  svc: TestService;
  /** http://127.0.0.1:<port> */
  base: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Every request the page made to another origin (must stay empty). */
  outside: string[];
  /** Uncaught page errors and console errors (should stay empty). */
  errors: string[];
  /** Every Content-Security-Policy violation a page reported (must stay empty: the CSP is strict). */
  cspViolations: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real service listening on a port, on a fresh database, and Chromium with one page on it. With
 * `signedIn` (the default) the API key is already in the tab's session storage, as after the key form.
 */
export async function openDashboard(kind: DbKind, opts: { signedIn?: boolean; viewport?: { width: number; height: number } } = {}): Promise<Dashboard> {
  const svc = await startTestService(kind, {}, { listen: true });
  const base = svc.url.replace(/\/$/, '');
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH!,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
  const outside: string[] = [];
  const errors: string[] = [];
  const cspViolations: string[] = [];
  // Reported by the page itself, so a blocked inline style or a refused connection is seen even when
  // the page goes on working without it.
  await context.exposeBinding('__reportCspViolation', (_source, text: string) => void cspViolations.push(text));
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (e) =>
    window.__reportCspViolation(e.effectiveDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber));`);
  if (opts.signedIn ?? true) {
    await context.addInitScript(signedInScript(TEST_ADMIN_KEY));
  }
  const page = await context.newPage();
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
  return {
    svc, base, browser, context, page, outside, errors, cspViolations,
    async screenshot(name) {
      fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close().catch(() => undefined);
      await svc.close();
    },
  };
}

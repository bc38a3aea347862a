/** Debian's Chromium as the dashboard's tests and benchmark drive it (playwright-core; never a downloaded browser). */
import fs from 'node:fs';

/** The flags every run uses: no sandbox (root in CI), no GPU, no calls home. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** `apt-get install chromium`'s binary; CHROMIUM_PATH overrides. */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => !!p && fs.existsSync(p)) ?? null;
}

/**
 * A script for `context.addInitScript` that puts an API key where the dashboard keeps it after its
 * key form (src/ui/api.ts: sessionStorage `loginsights.apiKey`). A string: this code has no DOM types.
 */
export function signedInScript(key: string): { content: string } {
  return { content: `sessionStorage.setItem('loginsights.apiKey', ${JSON.stringify(key)})` };
}

/** A log with a burst of 500s, for the alerting tests: see logFile. */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const T0 = Date.UTC(2026, 9, 5, 0, 0, 0);
export const MIN = 60_000;

/** One nginx_combined_timed line at `ms`. */
export function line(ms: number, status: number, path: string, seconds = '0.010'): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  const t = `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  return `10.1.2.3 - - [${t}] "GET ${path} HTTP/1.1" ${status} 100 "-" "ua" ${seconds} ${seconds}`;
}

/**
 * Two hours of background (a 200 and a 500 every minute, 10 ms each), and with `burst` sixty 500s
 * on /api/pay taking 2.5 s within three minutes from 01:00; with `gap`, nothing at all from 01:30
 * to 01:40.
 */
export function logFile(opts: { burst: boolean; gap: boolean }): string {
  const lines: [number, string][] = [];
  for (let m = 0; m < 120; m++) {
    if (opts.gap && m >= 90 && m < 100) continue;
    lines.push([T0 + m * MIN + 10_000, line(T0 + m * MIN + 10_000, 200, '/api/x')]);
    lines.push([T0 + m * MIN + 30_000, line(T0 + m * MIN + 30_000, 500, '/api/x')]);
  }
  if (opts.burst) for (let i = 0; i < 60; i++) lines.push([T0 + 60 * MIN + i * 3_000, line(T0 + 60 * MIN + i * 3_000, 500, '/api/pay', '2.500')]);
  return `${lines.sort((a, b) => a[0] - b[0]).map(([, l]) => l).join('\n')}\n`;
}

/** The ISO time `minutes` after T0. */
export const at = (minutes: number): string => new Date(T0 + minutes * MIN).toISOString();

/**
 * The issue-13 "hostile span" input: one nginx line per UTC day from 2000-01-01 to today, plus a line
 * dated 1970-01-01 (a host whose clock was never set) and one dated 2099-01-01 (a clock far ahead).
 * Small (about 10,000 lines, 1 MB) but spanning 129 years: what one careless or hostile upload can send.
 * The test suite and the bench both use it (test/hostileSpan.int.test.ts, bench/hostileSpan.ts).
 */

const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `[01/Jan/2000:12:00:00 +0000]` */
function timeLocal(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** nginx combined with `$request_time` (the nginx_combined_timed preset): every line has a status and a latency. */
function line(ms: number, i: number): string {
  const status = i % 50 === 0 ? 500 : 200;
  const latency = (0.01 + (i % 97) / 100).toFixed(3);
  return `10.0.${(i >> 8) & 255}.${i & 255} - - [${timeLocal(ms)}] "GET /api/items/${i} HTTP/1.1" ${status} ${200 + (i % 500)} "-" "hostile-span/1.0" ${latency}`;
}

export interface HostileSpanLog {
  text: string;
  lines: number;
  /** Lines a plausibility check must reject: the 1970 and 2099 ones. */
  implausible: number;
  firstDayMs: number;
  lastDayMs: number;
}

/** The file's lines in time order, at noon UTC of each day (today's noon may be up to 12 h ahead: within a day). */
export function hostileSpanLog(nowMs = Date.now()): HostileSpanLog {
  const firstDayMs = Date.UTC(2000, 0, 1);
  const lastDayMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const lines = [line(Date.UTC(1970, 0, 1, 0, 0, 5), 0)];
  let i = 1;
  for (let day = firstDayMs; day <= lastDayMs; day += DAY_MS) lines.push(line(day + 12 * 3_600_000, i++));
  lines.push(line(Date.UTC(2099, 0, 1, 12), i));
  return { text: `${lines.join('\n')}\n`, lines: lines.length, implausible: 2, firstDayMs, lastDayMs };
}

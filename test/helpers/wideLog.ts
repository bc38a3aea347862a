/**
 * Access logs with about 1 KB per line (a long user agent). The worker cuts a batch after a 1 MiB read
 * at the earliest, so a few thousand such lines make several batches: enough for tests of what
 * happens between batches (a failure half-way, a resume, rows refused in different batches).
 */
const T0 = Date.UTC(2026, 9, 5, 0, 0, 0);
const AGENT = `Mozilla/5.0 (X11; Linux x86_64) ${'x'.repeat(900)}`;

/** Line `n` (1-based) of a wide log: one request a second from T0, status 200 unless `status` says otherwise. */
export function wideLine(n: number, status = 200): string {
  const d = new Date(T0 + (n - 1) * 1000);
  const p = (v: number): string => String(v).padStart(2, '0');
  const time = `${p(d.getUTCDate())}/Oct/2026:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  return `10.0.${(n >> 8) & 255}.${n & 255} - - [${time}] "GET /items/${n} HTTP/1.1" ${status} 512 "-" "${AGENT}"`;
}

/** `lines` wide lines, newline-terminated; `statusOf` picks a line's status (default 200). */
export function wideLog(lines: number, statusOf: (n: number) => number = () => 200): string {
  return Array.from({ length: lines }, (_, i) => wideLine(i + 1, statusOf(i + 1))).join('\n') + '\n';
}

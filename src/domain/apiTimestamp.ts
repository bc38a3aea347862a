/** How the API writes a timestamp (db.ts parseTimestamptz): UTC, seconds, up to six fractional digits. */
const API_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?Z$/;

/**
 * Whether text is a timestamp as the API writes one, naming a real instant in 1970–2099 (the years
 * records may have). For values that come back from clients (cursors): V8's Date.parse takes much
 * that PostgreSQL refuses (`foo 12`, `2026-02-30`), and a refused cast there is a 500, not a 400.
 */
export function isApiTimestamp(text: string): boolean {
  const m = API_TIMESTAMP.exec(text);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (y < 1970 || y > 2099) return false;
  // Date.UTC rolls 2026-02-30 over into March and 24:00 into the next day: a real date comes back unchanged.
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d
    && t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === s;
}

/**
 * PostgreSQL COPY text format: columns separated by tab, rows by newline, NULL as `\N`, and
 * backslash, newline, carriage return and tab escaped with a backslash (PostgreSQL docs, "COPY", Text Format).
 */
const NEEDS_ESCAPE = /[\\\n\r\t]/;

export function copyField(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '\\N';
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** Epoch milliseconds (a fraction keeps microseconds) → ISO 8601 UTC with up to 6 fractional digits. */
export function isoTimestamp(ms: number): string {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString();
  const micros = Math.min(999, Math.round((ms - whole) * 1000));
  return micros > 0 ? `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z` : iso;
}

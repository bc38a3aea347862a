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

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * Epoch milliseconds (a fraction keeps microseconds) → ISO 8601 UTC with up to 6 fractional digits.
 * Hot path (one call per stored row): log lines arrive in time order, so the formatted second is cached.
 */
export function isoTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const micros = Math.min(999_999, Math.round((ms - second * 1000) * 1000));
  if (micros === 0) return `${cachedPrefix}.000Z`;
  const millisOnly = micros % 1000 === 0;
  const digits = String(millisOnly ? micros / 1000 : micros).padStart(millisOnly ? 3 : 6, '0');
  return `${cachedPrefix}.${digits}Z`;
}

/**
 * A growing byte buffer that rows are encoded into as they are produced. Encoding at once lets
 * each row's string die young (cheap to collect) instead of holding a batch of strings until the end,
 * and the result owns its ArrayBuffer, so it can be transferred to another thread without a copy.
 */
export class ByteSink {
  private buf: Buffer;
  private length = 0;

  constructor(private readonly initialBytes = 1 << 20) {
    this.buf = Buffer.from(new ArrayBuffer(initialBytes));
  }

  write(text: string): void {
    // A UTF-16 code unit never takes more than 3 bytes in UTF-8.
    const worst = text.length * 3;
    if (this.length + worst > this.buf.length) this.grow(this.length + worst);
    this.length += this.buf.write(text, this.length);
  }

  get byteLength(): number {
    return this.length;
  }

  /** The bytes written so far; the sink starts afresh. */
  take(): Uint8Array {
    const out = new Uint8Array(this.buf.buffer, 0, this.length);
    this.buf = Buffer.from(new ArrayBuffer(this.initialBytes));
    this.length = 0;
    return out;
  }

  private grow(min: number): void {
    const next = Buffer.from(new ArrayBuffer(Math.max(min, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

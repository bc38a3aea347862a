/**
 * PostgreSQL binary COPY encoding (PostgreSQL docs, "COPY", Binary Format): a fixed header, then per
 * row a 16-bit field count and, per field, a 32-bit byte length (-1 for NULL) and the value in the
 * type's binary send format; a 16-bit -1 ends the data. Compared with text COPY, the server parses
 * no timestamps or numbers and the encoder escapes nothing: both sides of ingestion get cheaper.
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** PostgreSQL's timestamp epoch, 2000-01-01 UTC, in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 2 ** 32;

/** Appends rows in binary COPY format into one growing buffer that owns its ArrayBuffer (transferable). */
export class BinaryCopyWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(private readonly initialBytes = 1 << 20) {
    this.buf = Buffer.from(new ArrayBuffer(Math.max(initialBytes, 64)));
    this.start();
  }

  /** Starts a row of `fields` values; every value method below appends one field. */
  row(fields: number): void {
    this.reserve(2);
    this.pos = this.buf.writeInt16BE(fields, this.pos);
  }

  text(value: string | null): void {
    if (value === null) return this.nullField();
    // UTF-16 → UTF-8 never takes more than 3 bytes per code unit; the length is written after the bytes.
    this.reserve(4 + value.length * 3);
    const at = this.pos;
    const n = this.buf.write(value, at + 4);
    this.buf.writeInt32BE(n, at);
    this.pos = at + 4 + n;
  }

  int16(value: number | null): void {
    if (value === null) return this.nullField();
    this.reserve(6);
    this.pos = this.buf.writeInt32BE(2, this.pos);
    this.pos = this.buf.writeInt16BE(value, this.pos);
  }

  int32(value: number): void {
    this.reserve(8);
    this.pos = this.buf.writeInt32BE(4, this.pos);
    this.pos = this.buf.writeInt32BE(value, this.pos);
  }

  /** A 64-bit integer from a JS number (exact below 2^53): high and low words, two's complement. */
  int64(value: number | null): void {
    if (value === null || !Number.isFinite(value)) return this.nullField();
    this.reserve(12);
    this.pos = this.buf.writeInt32BE(8, this.pos);
    this.writeInt64(Math.round(value));
  }

  float64(value: number | null): void {
    if (value === null || !Number.isFinite(value)) return this.nullField();
    this.reserve(12);
    this.pos = this.buf.writeInt32BE(8, this.pos);
    this.pos = this.buf.writeDoubleBE(value, this.pos);
  }

  /** timestamptz: microseconds since 2000-01-01 UTC; a fractional millisecond keeps its microseconds. */
  timestamptz(epochMs: number): void {
    this.reserve(12);
    this.pos = this.buf.writeInt32BE(8, this.pos);
    this.writeInt64(Math.round((epochMs - PG_EPOCH_MS) * 1000));
  }

  /** A value already in binary form (a uuid's 16 bytes). */
  bytes(value: Uint8Array): void {
    this.reserve(4 + value.length);
    this.pos = this.buf.writeInt32BE(value.length, this.pos);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  get byteLength(): number {
    return this.pos;
  }

  /** The finished COPY data (with its trailer); the writer starts a new one. */
  take(): Uint8Array {
    this.reserve(2);
    this.pos = this.buf.writeInt16BE(-1, this.pos);
    const out = new Uint8Array(this.buf.buffer, 0, this.pos);
    this.buf = Buffer.from(new ArrayBuffer(this.initialBytes));
    this.pos = 0;
    this.start();
    return out;
  }

  private start(): void {
    SIGNATURE.copy(this.buf, 0);
    this.pos = SIGNATURE.length;
    this.pos = this.buf.writeInt32BE(0, this.pos); // flags: no OIDs
    this.pos = this.buf.writeInt32BE(0, this.pos); // header extension length
  }

  private nullField(): void {
    this.reserve(4);
    this.pos = this.buf.writeInt32BE(-1, this.pos);
  }

  private writeInt64(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.pos = this.buf.writeInt32BE(hi, this.pos);
    this.pos = this.buf.writeUInt32BE(v - hi * TWO_32, this.pos);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.from(new ArrayBuffer(Math.max(this.pos + n, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/** `0b3c…-…` → its 16 bytes, for uuid columns in binary COPY. */
export function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a uuid: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

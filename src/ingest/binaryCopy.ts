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
const TWO_63 = 2 ** 63;
const INT4_OID = 23;
/**
 * Text up to this many UTF-16 units is copied by a JS loop while it is ASCII: for short values that is
 * several times faster than a call into Buffer#write, whose fixed cost (~80 ns) dominates. Longer
 * values go to Buffer#write (native UTF-8 encoding), which wins from about 45 characters on.
 */
const SHORT_TEXT = 40;

/**
 * Reuses the ArrayBuffers of finished COPY payloads. A payload is transferred to the thread that
 * writes it and transferred back once committed, so a long ingest allocates a few buffers instead of
 * one per batch (each fresh 10 MB buffer is external memory that pushes V8 into garbage collection).
 * What it keeps is bounded in count and in bytes: two batches' buffers come back while the third is
 * being filled, and the buffers a payload outgrew are let go, not kept (a worker held 66 MB of them).
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private bytes = 0;

  constructor(private readonly maxBuffers = 8, private readonly maxBytes = 32 << 20) {}

  /**
   * A buffer of at least minBytes: the smallest pooled one that fits, or a new one when none does
   * or the best fit is much larger (a small rollup payload must not take a day's 10 MB buffer, which
   * the next batch would then allocate again).
   */
  get(minBytes: number): ArrayBuffer {
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const size = this.free[i]!.byteLength;
      if (size >= minBytes && (best < 0 || size < this.free[best]!.byteLength)) best = i;
    }
    if (best < 0 || this.free[best]!.byteLength > Math.max(4 * minBytes, 1 << 20)) return new ArrayBuffer(minBytes);
    const [taken] = this.free.splice(best, 1);
    this.bytes -= taken!.byteLength;
    return taken!;
  }

  /**
   * Returns a buffer nobody uses any more. Beyond maxBuffers or maxBytes the smallest are let go,
   * but the largest is always kept (a batch's payload, however large, is reused).
   */
  put(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return; // detached (transferred away)
    this.free.push(buffer);
    this.bytes += buffer.byteLength;
    if (this.free.length <= this.maxBuffers && this.bytes <= this.maxBytes) return;
    this.free.sort((a, b) => b.byteLength - a.byteLength);
    while (this.free.length > 1 && (this.free.length > this.maxBuffers || this.bytes > this.maxBytes)) this.bytes -= this.free.pop()!.byteLength;
  }

  /** Lets every pooled buffer go (a parse that waits for lines need not hold a batch's worth). */
  clear(): void {
    this.free.length = 0;
    this.bytes = 0;
  }
}

/** Appends rows in binary COPY format into one buffer (grown as needed) that can be transferred. */
export class BinaryCopyWriter {
  private buf!: Buffer;
  private view!: DataView;
  private pos = 0;

  constructor(
    initialBytes = 1 << 20,
    private readonly pool = new BufferPool(),
  ) {
    this.attach(pool.get(Math.max(initialBytes, 64)));
    SIGNATURE.copy(this.buf, 0);
    this.pos = SIGNATURE.length;
    this.view.setInt32(this.pos, 0); // flags: no OIDs
    this.view.setInt32(this.pos + 4, 0); // header extension length
    this.pos += 8;
  }

  /** Starts a row of `fields` values; every value method below appends one field. */
  row(fields: number): void {
    this.reserve(2);
    this.view.setInt16(this.pos, fields);
    this.pos += 2;
  }

  /** A text field; returns where its UTF-8 bytes begin in `buffer` (they end at `byteLength`), -1 for NULL. */
  text(value: string | null): number {
    if (value === null) {
      this.nullField();
      return -1;
    }
    const n = value.length;
    // UTF-16 → UTF-8 never takes more than 3 bytes per code unit; the length is written after the bytes.
    this.reserve(4 + n * 3);
    const at = this.pos + 4;
    let written = n <= SHORT_TEXT ? this.shortAscii(value, at) : -1;
    if (written < 0) written = this.buf.write(value, at);
    this.view.setInt32(this.pos, written);
    this.pos = at + written;
    return at;
  }

  int16(value: number | null): void {
    if (value === null) return this.nullField();
    this.reserve(6);
    this.view.setInt32(this.pos, 2);
    this.view.setInt16(this.pos + 4, value);
    this.pos += 6;
  }

  int32(value: number): void {
    this.reserve(8);
    this.view.setInt32(this.pos, 4);
    this.view.setInt32(this.pos + 4, value);
    this.pos += 8;
  }

  /**
   * A 64-bit integer from a JS number (exact below 2^53): high and low words, two's complement. Beyond
   * the int64 range it saturates (see writeInt64); NaN is NULL.
   */
  int64(value: number | null): void {
    if (value === null || Number.isNaN(value)) return this.nullField();
    this.reserve(12);
    this.view.setInt32(this.pos, 8);
    this.writeInt64(this.pos + 4, Math.round(value));
    this.pos += 12;
  }

  float64(value: number | null): void {
    if (value === null || !Number.isFinite(value)) return this.nullField();
    this.reserve(12);
    this.view.setInt32(this.pos, 8);
    this.view.setFloat64(this.pos + 4, value);
    this.pos += 12;
  }

  /** timestamptz: microseconds since 2000-01-01 UTC; a fractional millisecond keeps its microseconds. */
  timestamptz(epochMs: number): void {
    this.reserve(12);
    this.view.setInt32(this.pos, 8);
    this.writeInt64(this.pos + 4, Math.round((epochMs - PG_EPOCH_MS) * 1000));
    this.pos += 12;
  }

  /**
   * integer[] (one dimension, no NULLs) in array_send format: values[first], values[first + step], …
   * (a step of 2 writes one half of interleaved pairs). An empty array has no dimensions.
   */
  int32Array(values: readonly number[], first = 0, step = 1): void {
    const n = values.length > first ? Math.ceil((values.length - first) / step) : 0;
    const size = n === 0 ? 12 : 20 + n * 8;
    this.reserve(4 + size);
    const v = this.view;
    let at = this.pos;
    v.setInt32(at, size);
    v.setInt32(at + 4, n === 0 ? 0 : 1); // dimensions
    v.setInt32(at + 8, 0); // no NULLs
    v.setInt32(at + 12, INT4_OID);
    at += 16;
    if (n > 0) {
      v.setInt32(at, n);
      v.setInt32(at + 4, 1); // lower bound
      at += 8;
      for (let i = first; i < values.length; i += step, at += 8) {
        v.setInt32(at, 4);
        v.setInt32(at + 4, values[i]!);
      }
    }
    this.pos = at;
  }

  /** A value already in binary form (a uuid's 16 bytes). */
  bytes(value: Uint8Array): void {
    this.reserve(4 + value.length);
    this.view.setInt32(this.pos, value.length);
    this.buf.set(value, this.pos + 4);
    this.pos += 4 + value.length;
  }

  get byteLength(): number {
    return this.pos;
  }

  /** The payload so far (valid up to `byteLength`, and only until the next write: it may grow into another buffer). */
  get buffer(): Uint8Array {
    return this.buf;
  }

  /** The finished COPY data with its trailer, a view of a buffer the writer no longer touches. */
  finish(): Uint8Array {
    this.reserve(2);
    this.view.setInt16(this.pos, -1);
    this.pos += 2;
    return new Uint8Array(this.buf.buffer, 0, this.pos);
  }

  /** Copies `value` byte per character if it is all ASCII; -1 (nothing counted) at the first other character. */
  private shortAscii(value: string, at: number): number {
    const buf = this.buf;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) return -1;
      buf[at + i] = c;
    }
    return value.length;
  }

  private nullField(): void {
    this.reserve(4);
    this.view.setInt32(this.pos, -1);
    this.pos += 4;
  }

  /**
   * Writes an integral number as int64, saturating at the int64 bounds. A sum beyond them comes from
   * hostile data or a bug (the parse layer bounds every value: src/parse/fieldBounds.ts), and its high
   * word wrapped in setInt32 before: a huge latency sum was stored as a negative or arbitrary one. The
   * largest int64 is not a double; 2^63, its nearest, and all above become 2^63 − 1. Doubles from 2^53
   * on are integers, so the two words are still exact.
   */
  private writeInt64(at: number, v: number): void {
    if (v >= TWO_63) {
      this.view.setUint32(at, 0x7fffffff);
      this.view.setUint32(at + 4, 0xffffffff);
      return;
    }
    if (v < -TWO_63) v = -TWO_63;
    const hi = Math.floor(v / TWO_32);
    this.view.setInt32(at, hi);
    this.view.setUint32(at + 4, v - hi * TWO_32);
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const old = this.buf;
    // Half as much again: a batch a little over the largest so far must not take twice its size.
    this.attach(this.pool.get(Math.max(this.pos + n, Math.ceil(old.length * 1.5))));
    old.copy(this.buf, 0, 0, this.pos);
    // Outgrown: not pooled (the payloads now need the larger one).
  }

  private attach(buffer: ArrayBuffer): void {
    this.buf = Buffer.from(buffer);
    this.view = new DataView(buffer);
  }
}

/** `0b3c…-…` → its 16 bytes, for uuid columns in binary COPY. */
export function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a uuid: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

/** Bytes of the header BinaryCopyWriter writes (signature, flags, an empty header extension), and of the trailer. */
const HEADER_BYTES = SIGNATURE.length + 8;
const TRAILER_BYTES = 2;

/**
 * Binary COPY payloads of the same columns as one payload: the first header, every payload's rows,
 * one trailer. The writer sends the days of a month partition in one COPY instead of one per day.
 */
export function concatBinaryCopy(payloads: readonly Uint8Array[]): Uint8Array {
  if (payloads.length === 1) return payloads[0]!;
  const rowBytes = payloads.reduce((n, p) => n + p.byteLength - HEADER_BYTES - TRAILER_BYTES, 0);
  const out = new Uint8Array(HEADER_BYTES + rowBytes + TRAILER_BYTES);
  out.set(payloads[0]!.subarray(0, HEADER_BYTES), 0);
  let at = HEADER_BYTES;
  for (const p of payloads) {
    out.set(p.subarray(HEADER_BYTES, p.byteLength - TRAILER_BYTES), at);
    at += p.byteLength - HEADER_BYTES - TRAILER_BYTES;
  }
  out.set(payloads[payloads.length - 1]!.subarray(payloads[payloads.length - 1]!.byteLength - TRAILER_BYTES), at);
  return out;
}

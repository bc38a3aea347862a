/**
 * Substring-search summaries of record blocks: the records of each committed batch are cut into
 * blocks of a few hundred, and each block gets a Bloom filter of the trigrams of its records' raw text
 * (migration 0021). `q` over a partition without its trigram index asks the filters first and reads
 * only the blocks that may hold the substring: a substring no record holds reads nearly nothing, where
 * a scan of a live day read every row (the direction in BLUEPRINT.md: per-block metadata that lets a
 * query skip what cannot match).
 *
 * `q` is ILIKE: lower(text) holds lower(q), lower() taken a character at a time. The filter holds the
 * trigrams of the text folded a character at a time so that every trigram of lower(text) made of ASCII
 * characters is in it: ASCII letters to lower case, the two non-ASCII letters whose lower case is ASCII
 * to it (U+0130 İ → i, U+212A Kelvin sign → k), anything else to a mark that no trigram of `q` holds.
 * So a block whose filter misses one of q's ASCII trigrams holds no match; `q` with none (shorter than
 * three characters, or none of them ASCII) cannot use the filters.
 */

/** Bytes of one block's filter: three blocks' rows fit a PostgreSQL page, stored as they are (no TOAST, no compression). */
export const BLOOM_BYTES = 2048;
/** log2 of the filter's bits (2^14 = 16,384). */
const BLOOM_BITS_LOG2 = 14;
/**
 * A block ends once this many of its bits are set (three per trigram, ~1,600 trigrams): a trigram not
 * in the block then finds its three bits set with a chance of 1.6%, and a substring of n trigrams about
 * 0.016^n. (At 40% and two bits, 16%: a search for a short substring read a sixth of every block.)
 */
const MAX_BITS_SET = Math.floor((1 << BLOOM_BITS_LOG2) * 0.25);
/** ... or once it holds this many records (short lines sharing their trigrams). */
const MAX_BLOCK_RECORDS = 2_048;

/** A UTF-16 code unit as the filter sees it (module comment); 0 is the mark. */
function fold(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c | 32 : c;
  if (c === 0x130) return 0x69;
  if (c === 0x212a) return 0x6b;
  return 0;
}

/** The three bits of a trigram of folded characters (7 bits each, none 0): hashes scaled to the filter. */
const bit1 = (key: number): number => Math.imul(key, 0x9e3779b1) >>> (32 - BLOOM_BITS_LOG2);
const bit2 = (key: number): number => Math.imul(key ^ 0x5bd1e995, 0x85ebca77) >>> (32 - BLOOM_BITS_LOG2);
const bit3 = (key: number): number => Math.imul(key ^ 0x27d4eb2f, 0x165667b1) >>> (32 - BLOOM_BITS_LOG2);

/**
 * The bits a block's filter must have set to hold `q` (deduplicated), or null when `q` has no ASCII
 * trigram and the filters cannot tell.
 */
export function substringBits(q: string): number[] | null {
  const bits = new Set<number>();
  let a = 0;
  let b = 0;
  for (let i = 0; i < q.length; i++) {
    const c = fold(q.charCodeAt(i));
    if (a !== 0 && b !== 0 && c !== 0) {
      const key = (a << 14) | (b << 7) | c;
      bits.add(bit1(key)).add(bit2(key)).add(bit3(key));
    }
    a = b;
    b = c;
  }
  return bits.size ? [...bits].sort((x, y) => x - y) : null;
}

/** A batch's blocks as written beside its rows: line ranges, widened time ranges and filters, in order. */
export interface SearchBlocks {
  count: number;
  firstLine: number[];
  lastLine: number[];
  /** Epoch ms, widened to whole milliseconds around the records' timestamps. */
  minMs: number[];
  maxMs: number[];
  /** `count` filters of BLOOM_BYTES, one after the other. */
  blooms: Uint8Array;
}

/** A byte as the filter sees it: ASCII folded (fold), any byte ≥ 0x80 the mark. */
const BYTE_FOLD = Uint8Array.from({ length: 256 }, (_, b) => (b < 0x80 ? fold(b) : 0));

/** 2^21 bits: one per trigram of folded characters (three of 7 bits), to set each block's bits once per trigram. */
const SEEN_WORDS = 1 << 16;
/** Trigrams remembered for clearing the seen set word by word; past this many, it is cleared whole. */
const SEEN_LIST = 8_192;

/**
 * Cuts the records of a batch into blocks and builds their filters as the records are added. It reads
 * a record's raw text as the UTF-8 bytes the COPY payload holds (src/ingest/batch.ts): an ASCII byte is
 * its character, İ (C4 B0) and the Kelvin sign (E2 84 AA) are `i` and `k`, and every other byte ≥ 0x80
 * is the mark, so a non-ASCII character breaks trigrams exactly as in the module comment's fold.
 * A block holds each trigram's bits once: after its first, a trigram costs a lookup in the seen set
 * (most of a block's trigrams repeat: ~1,400 distinct in ~20,000).
 */
export class SearchBlockBuilder {
  private blooms = new Uint8Array(BLOOM_BYTES * 4);
  private firstLine: number[] = [];
  private lastLine: number[] = [];
  private minMs: number[] = [];
  private maxMs: number[] = [];
  /** The open block: its index (== the closed ones' count), records and bits set; -1 records: none open. */
  private records = -1;
  private bitsSet = 0;
  /** Where the open block's filter begins in `blooms`. */
  private at = 0;
  /** The trigrams (21-bit keys) the open block holds, and the keys set, to clear them when it closes. */
  private readonly seen = new Int32Array(SEEN_WORDS);
  private readonly seenList = new Int32Array(SEEN_LIST);
  private seenCount = 0;
  /** A non-ASCII record's bytes with İ and the Kelvin sign made ASCII (addUtf8); grown to the longest. */
  private scratch = new Uint8Array(1024);

  /**
   * A record: its raw text's UTF-8 bytes (bytes[start, end), as Buffer.write makes them from a string:
   * valid UTF-8), whether they are all ASCII, its line number and timestamp.
   */
  add(bytes: Uint8Array, start: number, end: number, ascii: boolean, lineNo: number, timestampMs: number): void {
    const n = this.firstLine.length - (this.records >= 0 ? 1 : 0);
    if (this.records < 0) this.open(lineNo, timestampMs);
    this.at = n * BLOOM_BYTES;
    if (ascii) this.addAscii(bytes, start, end);
    else this.addUtf8(bytes, start, end);
    this.lastLine[n] = lineNo;
    if (timestampMs < this.minMs[n]!) this.minMs[n] = timestampMs;
    if (timestampMs > this.maxMs[n]!) this.maxMs[n] = timestampMs;
    this.records++;
    if (this.bitsSet >= MAX_BITS_SET || this.records >= MAX_BLOCK_RECORDS) this.records = -1;
  }

  /** The hot loop: ASCII bytes (most log lines), each its folded character; a byte ≥ 0x80 is the mark. */
  private addAscii(bytes: Uint8Array, start: number, end: number): void {
    const seen = this.seen;
    let key = 0;
    let run = 0;
    for (let i = start; i < end; i++) {
      const c = BYTE_FOLD[bytes[i]!]!;
      // The last three folded characters, 7 bits each; `run` counts those since the last mark.
      key = ((key << 7) | c) & 0x1fffff;
      run = c === 0 ? 0 : run + 1;
      if (run >= 3 && (seen[key >>> 5]! & (1 << (key & 31))) === 0) this.addTrigram(key);
    }
  }

  /**
   * Any UTF-8, read as ASCII once İ (C4 B0) is made `i` and the Kelvin sign (E2 84 AA) `k`: copied so
   * into a scratch buffer, where every other byte ≥ 0x80 stays and is the mark. (Doing it inside the
   * hot loop slowed every line, and few lines are not ASCII.)
   */
  private addUtf8(bytes: Uint8Array, start: number, end: number): void {
    if (this.scratch.length < end - start) this.scratch = new Uint8Array(Math.max(end - start, this.scratch.length * 2));
    const out = this.scratch;
    let n = 0;
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      if (b === 0xc4 && i + 1 < end && bytes[i + 1] === 0xb0) {
        out[n++] = 0x69;
        i += 1;
      } else if (b === 0xe2 && i + 2 < end && bytes[i + 1] === 0x84 && bytes[i + 2] === 0xaa) {
        out[n++] = 0x6b;
        i += 2;
      } else {
        out[n++] = b;
      }
    }
    this.addAscii(out, 0, n);
  }

  /** A trigram the open block did not hold yet: into the seen set, and its three bits into the filter. */
  private addTrigram(key: number): void {
    this.seen[key >>> 5] = this.seen[key >>> 5]! | (1 << (key & 31));
    if (this.seenCount < SEEN_LIST) this.seenList[this.seenCount] = key;
    this.seenCount++;
    this.setBit(bit1(key));
    this.setBit(bit2(key));
    this.setBit(bit3(key));
  }

  private setBit(bit: number): void {
    const at = this.at + (bit >>> 3);
    const mask = 1 << (bit & 7);
    if ((this.blooms[at]! & mask) === 0) {
      this.blooms[at] = this.blooms[at]! | mask;
      this.bitsSet++;
    }
  }

  private open(lineNo: number, timestampMs: number): void {
    const n = this.firstLine.length;
    if ((n + 1) * BLOOM_BYTES > this.blooms.length) {
      const grown = new Uint8Array(this.blooms.length * 2);
      grown.set(this.blooms);
      this.blooms = grown;
    }
    this.blooms.fill(0, n * BLOOM_BYTES, (n + 1) * BLOOM_BYTES);
    this.firstLine.push(lineNo);
    this.lastLine.push(lineNo);
    this.minMs.push(timestampMs);
    this.maxMs.push(timestampMs);
    this.records = 0;
    this.bitsSet = 0;
    if (this.seenCount > SEEN_LIST) this.seen.fill(0);
    else for (let k = 0; k < this.seenCount; k++) this.seen[this.seenList[k]! >>> 5] = 0;
    this.seenCount = 0;
  }

  /** The blocks so far (null: no record was added), and a fresh start. */
  take(): SearchBlocks | null {
    const count = this.firstLine.length;
    const out: SearchBlocks | null = count === 0 ? null : {
      count,
      firstLine: this.firstLine,
      lastLine: this.lastLine,
      // The stored timestamp keeps microseconds: whole milliseconds around it, and one more each way for rounding.
      minMs: this.minMs.map((t) => Math.floor(t) - 1),
      maxMs: this.maxMs.map((t) => Math.ceil(t) + 1),
      blooms: this.blooms.slice(0, count * BLOOM_BYTES),
    };
    this.firstLine = [];
    this.lastLine = [];
    this.minMs = [];
    this.maxMs = [];
    this.records = -1;
    this.bitsSet = 0;
    return out;
  }
}

/** Whether a block's filter has every bit of `bits` set (what the search asks in SQL, for tests). */
export function bloomHolds(blooms: Uint8Array, block: number, bits: readonly number[]): boolean {
  const at = block * BLOOM_BYTES;
  return bits.every((bit) => (blooms[at + (bit >>> 3)]! & (1 << (bit & 7))) !== 0);
}

/**
 * A _bulk document's `message` and `source`, read from its bytes without decoding the document:
 * JSON.parse of every document, the strings it made and their encoding back to bytes for the journal
 * were most of the main thread's work under a `_bulk` flood. The scanner checks the whole document
 * as JSON.parse would, and where it is not sure (an escaped key, bytes that are not UTF-8 in the
 * message or source, nesting past MAX_DEPTH, anything JSON.parse would refuse) it says so and the
 * caller decodes the document with JSON.parse instead: it never reads a document differently. A
 * message with a `\u` escape of a surrogate is left to JSON.parse too (MessageLines.addJsonString,
 * src/live/journalLines.ts).
 */
import { isUtf8 } from 'node:buffer';

/** What a document holds under a key the reader wants. */
export const ABSENT = 0;
export const STRING = 1;
export const OTHER = 2;
type Kind = typeof ABSENT | typeof STRING | typeof OTHER;

/** Objects and arrays nested deeper than this are left to JSON.parse. */
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A string value's bytes, quotes excluded, and what they hold: escapes, bytes past ASCII. */
export interface StringValue {
  kind: Kind;
  start: number;
  end: number;
  escaped: boolean;
  nonAscii: boolean;
}

/** What a byte is inside a string: most need no look (PLAIN); the quote, the backslash and control characters do. */
const PLAIN = 0;
const SPECIAL = 1;
const HIGH = 2;
const STRING_BYTE = new Uint8Array(256).map((_, c) => (c >= 0x80 ? HIGH : c < 0x20 || c === QUOTE || c === BACKSLASH ? SPECIAL : PLAIN));

const MESSAGE = Buffer.from('message');
const SOURCE = Buffer.from('source');

/**
 * Reads one document at a time (reused: no object per document). After scan() returns true,
 * `message` and `source` describe the document's last `message` and `source` keys, as JSON.parse
 * would have kept them.
 */
export class DocumentScanner {
  readonly message: StringValue = { kind: ABSENT, start: 0, end: 0, escaped: false, nonAscii: false };
  readonly source: StringValue = { kind: ABSENT, start: 0, end: 0, escaped: false, nonAscii: false };
  private b: Buffer = Buffer.alloc(0);
  private end = 0;
  // The last string scanned: whether it held escapes or bytes past ASCII.
  private escaped = false;
  private nonAscii = false;

  /** True when the document [start, end) of `b` is a JSON object read here; false: decode it with JSON.parse. */
  scan(b: Buffer, start: number, end: number): boolean {
    this.b = b;
    this.end = end;
    this.message.kind = ABSENT;
    this.source.kind = ABSENT;
    let i = this.ws(start);
    if (b[i] !== 0x7b) return false;
    i = this.ws(i + 1);
    if (b[i] === 0x7d) return this.ws(i + 1) === end;
    for (;;) {
      if (b[i] !== QUOTE) return false;
      const keyStart = i + 1;
      i = this.string(i);
      if (i < 0 || this.escaped) return false;
      const keyEnd = i - 1;
      i = this.ws(i);
      if (b[i] !== 0x3a) return false;
      i = this.ws(i + 1);
      const target = equals(b, keyStart, keyEnd, MESSAGE) ? this.message : equals(b, keyStart, keyEnd, SOURCE) ? this.source : null;
      const valueStart = i;
      i = this.value(i, 1);
      if (i < 0) return false;
      if (target) {
        if (b[valueStart] === QUOTE) {
          target.kind = STRING;
          target.start = valueStart + 1;
          target.end = i - 1;
          target.escaped = this.escaped;
          target.nonAscii = this.nonAscii;
        } else {
          target.kind = OTHER;
        }
      }
      i = this.ws(i);
      if (b[i] === 0x2c) {
        i = this.ws(i + 1);
        continue;
      }
      if (b[i] !== 0x7d) return false;
      break;
    }
    if (this.ws(i + 1) !== end) return false;
    // Bytes that are not UTF-8 are decoded to U+FFFD by the fallback: only well-formed ones are kept as they are.
    return wellFormed(b, this.message) && wellFormed(b, this.source);
  }

  /** Past JSON whitespace. */
  private ws(i: number): number {
    const b = this.b;
    while (i < this.end) {
      const c = b[i]!;
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
      i++;
    }
    return i;
  }

  /** Past the value at i; -1 where it is not JSON (or deeper than MAX_DEPTH). */
  private value(i: number, depth: number): number {
    const c = this.b[i];
    if (c === QUOTE) return this.string(i);
    if (c === 0x7b || c === 0x5b) return depth >= MAX_DEPTH ? -1 : this.container(i, depth + 1);
    if (c === 0x74) return this.literal(i, 'true');
    if (c === 0x66) return this.literal(i, 'false');
    if (c === 0x6e) return this.literal(i, 'null');
    return this.number(i);
  }

  /** Past the object or array at i. */
  private container(i: number, depth: number): number {
    const b = this.b;
    const object = b[i] === 0x7b;
    const close = object ? 0x7d : 0x5d;
    i = this.ws(i + 1);
    if (b[i] === close) return i + 1;
    for (;;) {
      if (object) {
        if (b[i] !== QUOTE) return -1;
        i = this.string(i);
        if (i < 0) return -1;
        i = this.ws(i);
        if (b[i] !== 0x3a) return -1;
        i = this.ws(i + 1);
      }
      i = this.value(i, depth);
      if (i < 0) return -1;
      i = this.ws(i);
      if (b[i] === close) return i + 1;
      if (b[i] !== 0x2c) return -1;
      i = this.ws(i + 1);
    }
  }

  /** Past the string at i (its opening quote); notes whether it held escapes or bytes past ASCII. */
  private string(i: number): number {
    const b = this.b;
    const end = this.end;
    let escaped = false;
    let nonAscii = false;
    for (i++; i < end; i++) {
      const c = b[i]!;
      const k = STRING_BYTE[c]!;
      if (k === PLAIN) continue;
      if (k === HIGH) {
        nonAscii = true;
      } else if (c === QUOTE) {
        this.escaped = escaped;
        this.nonAscii = nonAscii;
        return i + 1;
      } else if (c === BACKSLASH) {
        escaped = true;
        const e = b[++i];
        if (e === 0x75) {
          if (!(isHex(b[i + 1]) && isHex(b[i + 2]) && isHex(b[i + 3]) && isHex(b[i + 4]))) return -1;
          i += 4;
        } else if (!(e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
          return -1;
        }
      } else {
        return -1; // a control character: JSON wants it escaped
      }
    }
    return -1;
  }

  private literal(i: number, word: string): number {
    for (let k = 0; k < word.length; k++) if (this.b[i + k] !== word.charCodeAt(k)) return -1;
    return i + word.length;
  }

  /** Past the number at i: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private number(i: number): number {
    const b = this.b;
    if (b[i] === 0x2d) i++;
    if (b[i] === 0x30) i++;
    else if (isDigit(b[i])) while (isDigit(b[i])) i++;
    else return -1;
    if (b[i] === 0x2e) {
      if (!isDigit(b[++i])) return -1;
      while (isDigit(b[i])) i++;
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (!isDigit(b[i])) return -1;
      while (isDigit(b[i])) i++;
    }
    return i > this.end ? -1 : i;
  }
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isHex = (c: number | undefined): boolean => c !== undefined && ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66));

/** False for a string value holding bytes that are not UTF-8. */
function wellFormed(b: Buffer, v: StringValue): boolean {
  return v.kind !== STRING || !v.nonAscii || isUtf8(b.subarray(v.start, v.end));
}

function equals(b: Buffer, start: number, end: number, word: Buffer): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[start + k] !== word[k]) return false;
  return true;
}

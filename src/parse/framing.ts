import { isAscii } from 'node:buffer';
import { cutAtCharBoundary, decodeLogBytes } from './utf8.js';

/** One line of input with its absolute position in the file (for checkpoints and rejection reports). */
export interface FramedLine {
  text: string;
  /** 1-based; every '\n'-terminated line counts, plus a final unterminated one. */
  lineNo: number;
  /** Absolute file offset of the first byte of the line. */
  byteStart: number;
  /** Absolute offset just after the '\n' (or the end of data for a final line without one). */
  byteEnd: number;
  /** The line was longer than maxLineBytes: `text` holds only its first maxLineBytes bytes. */
  tooLong: boolean;
}

export interface LineFramerOptions {
  startOffset: number;
  startLineNo: number;
  maxLineBytes: number;
}

const LF = 10;
const CR = 13;

/**
 * Bytes → lines. Splits on '\n', strips one trailing '\r', decodes UTF-8 safely (see decodeLogBytes).
 * Memory stays bounded by maxLineBytes + one chunk: an over-long line keeps only its head and the
 * rest of it is skipped up to the next '\n'.
 */
export class LineFramer {
  private readonly maxLineBytes: number;
  /** Absolute offset of the next byte to arrive. */
  private offset: number;
  private lineNo: number;
  /** Absolute offset where the unfinished line began. */
  private lineStart: number;
  /** Copies of the unfinished line's bytes, at most maxLineBytes + 1 (a final '\r' is not content). */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Head of an over-long line whose remaining bytes are being skipped. */
  private overflowHead: Buffer | null = null;

  constructor(opts: LineFramerOptions) {
    if (!Number.isSafeInteger(opts.maxLineBytes) || opts.maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${opts.maxLineBytes}`);
    }
    this.maxLineBytes = opts.maxLineBytes;
    this.offset = opts.startOffset;
    this.lineStart = opts.startOffset;
    this.lineNo = opts.startLineNo;
  }

  /** Lines completed by this chunk. */
  push(chunk: Buffer): FramedLine[] {
    const out: FramedLine[] = [];
    const base = this.offset;
    this.offset += chunk.length;
    let pos = 0;
    if (this.partsBytes > 0 || this.overflowHead !== null) {
      const nl = chunk.indexOf(LF);
      if (nl === -1) {
        this.keep(chunk, 0, chunk.length);
        return out;
      }
      this.keep(chunk, 0, nl);
      out.push(this.completePending(base + nl + 1));
      pos = nl + 1;
    }
    if (pos < chunk.length) {
      // Whole-chunk fast path: pure ASCII without NUL decodes once as latin1 (byte offset = char offset).
      const rest = chunk.subarray(pos);
      if (isAscii(rest) && rest.indexOf(0) === -1) this.frameAscii(chunk, pos, base, out);
      else this.frameBytes(chunk, pos, base, out);
    }
    return out;
  }

  /** The final line without a trailing '\n', if any. */
  end(): FramedLine[] {
    if (this.partsBytes === 0 && this.overflowHead === null) return [];
    return [this.completePending(this.offset)];
  }

  private frameAscii(chunk: Buffer, pos: number, base: number, out: FramedLine[]): void {
    const str = chunk.toString('latin1', pos);
    const max = this.maxLineBytes;
    let i = 0;
    for (;;) {
      const nl = str.indexOf('\n', i);
      if (nl === -1) {
        this.keep(chunk, pos + i, chunk.length);
        return;
      }
      let e = nl;
      if (e > i && str.charCodeAt(e - 1) === CR) e--;
      const tooLong = e - i > max;
      const text = str.substring(i, tooLong ? i + max : e);
      out.push(this.emit(text, base + pos + nl + 1, tooLong));
      i = nl + 1;
    }
  }

  private frameBytes(chunk: Buffer, pos: number, base: number, out: FramedLine[]): void {
    const max = this.maxLineBytes;
    let i = pos;
    while (i < chunk.length) {
      const nl = chunk.indexOf(LF, i);
      if (nl === -1) {
        this.keep(chunk, i, chunk.length);
        return;
      }
      let e = nl;
      if (e > i && chunk[e - 1] === CR) e--;
      const tooLong = e - i > max;
      if (tooLong) e = cutAtCharBoundary(chunk, i, i + max);
      out.push(this.emit(decodeLogBytes(chunk, i, e), base + nl + 1, tooLong));
      i = nl + 1;
    }
  }

  /** Buffers part of an unfinished line (copied: the caller may reuse its chunk), within the bound. */
  private keep(chunk: Buffer, start: number, end: number): void {
    if (this.overflowHead !== null || end <= start) return;
    const room = this.maxLineBytes + 1 - this.partsBytes;
    const take = Math.min(room, end - start);
    this.parts.push(Buffer.from(chunk.subarray(start, start + take)));
    this.partsBytes += take;
    if (end - start > room) {
      this.overflowHead = Buffer.concat(this.parts, this.partsBytes);
      this.parts = [];
      this.partsBytes = 0;
    }
  }

  private completePending(byteEnd: number): FramedLine {
    const buf = this.overflowHead ?? (this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsBytes));
    let tooLong = this.overflowHead !== null;
    let e = buf.length;
    if (!tooLong && e > 0 && buf[e - 1] === CR) e--;
    if (e > this.maxLineBytes) tooLong = true;
    if (tooLong) e = cutAtCharBoundary(buf, 0, Math.min(e, this.maxLineBytes));
    this.parts = [];
    this.partsBytes = 0;
    this.overflowHead = null;
    return this.emit(decodeLogBytes(buf, 0, e), byteEnd, tooLong);
  }

  private emit(text: string, byteEnd: number, tooLong: boolean): FramedLine {
    const line: FramedLine = { text, lineNo: this.lineNo, byteStart: this.lineStart, byteEnd, tooLong };
    this.lineNo++;
    this.lineStart = byteEnd;
    return line;
  }
}

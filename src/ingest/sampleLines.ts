import fs from 'node:fs';
import { LineFramer } from '../parse/index.js';

/**
 * The lines auto-detection looks at: the head of the file, and windows spread through the rest of it,
 * so that one plain line at the top, or a layout that changes half-way (someone added
 * `$request_time`, two server blocks writing to one file), is seen. Deterministic: the same file gives
 * the same sample on every attempt, so a resumed job reads its lines with the layouts it started with.
 * Lines are framed as the parse will frame them (src/parse/framing.ts): the same text, `\r` stripped,
 * over-long lines left out (they are rejected whatever the layout).
 */

/** The head: at most HEAD_LINES non-empty lines within the first HEAD_BYTES. */
export const HEAD_BYTES = 256 * 1024;
export const HEAD_LINES = 200;
/** Windows start at k/(WINDOWS + 1) of the file's size (k = 1 … WINDOWS), each of at most WINDOW_LINES lines within WINDOW_BYTES. */
export const WINDOWS = 8;
export const WINDOW_BYTES = 32 * 1024;
export const WINDOW_LINES = 25;

export interface FileSample {
  /** The first non-empty lines: what the job's time anchor is taken from (src/ingest/plausibleTime.ts). */
  head: string[];
  /** Non-empty lines of the windows after the head, in file order; no line is in both. */
  spread: string[];
}

/** True for an empty or whitespace-only line; decides at the first character for ordinary lines. */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0b && c !== 0x0c && c !== 0x0d) return false;
  }
  return true;
}

export function sampleLines(fd: number, maxLineBytes: number): FileSample {
  const size = fs.fstatSync(fd).size;
  const headBytes = readAt(fd, 0, HEAD_BYTES);
  const head = takeLines(headBytes, 0, headBytes.length >= size, HEAD_LINES, maxLineBytes);
  const spread: string[] = [];
  // Bytes before `from` are sampled already: a window never takes a line twice (a small file's
  // windows would otherwise fall inside the head and weigh its lines double).
  let from = head.end;
  for (let k = 1; k <= WINDOWS; k++) {
    const at = Math.max(Math.floor((size * k) / (WINDOWS + 1)), from);
    if (at >= size) break;
    let start = at;
    let bytes: Buffer;
    if (at === from) {
      bytes = readAt(fd, at, WINDOW_BYTES); // `from` is where a line starts
    } else {
      // The window's first line is the first to start at or after `at`: the byte before `at` tells.
      const raw = readAt(fd, at - 1, WINDOW_BYTES + 1);
      const nl = raw.indexOf(0x0a);
      if (nl === -1) continue; // inside a line longer than the window
      start = at + nl;
      bytes = raw.subarray(nl + 1);
    }
    const w = takeLines(bytes, start, start + bytes.length >= size, WINDOW_LINES, maxLineBytes);
    spread.push(...w.lines);
    from = w.end;
  }
  return { head: head.lines, spread };
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

/**
 * Up to `max` non-empty lines of `bytes`, which start at file offset `offset` on a line start; the
 * last, unterminated line only when `bytes` reach the end of the file (else it may be cut). `end`:
 * the offset after the last line looked at.
 */
function takeLines(bytes: Buffer, offset: number, atEnd: boolean, max: number, maxLineBytes: number): { lines: string[]; end: number } {
  const framer = new LineFramer({ startOffset: offset, startLineNo: 1, maxLineBytes });
  const framed = framer.push(bytes);
  if (atEnd) framed.push(...framer.end());
  const lines: string[] = [];
  let end = offset;
  for (const line of framed) {
    if (lines.length >= max) break;
    end = line.byteEnd;
    if (!line.tooLong && !isBlank(line.text)) lines.push(line.text);
  }
  return { lines, end };
}

import { isUtf8 } from 'node:buffer';

const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));

/**
 * Decodes bytes [start, end) as UTF-8 text that PostgreSQL can store. Invalid UTF-8 bytes and NUL
 * (a `text` value can hold neither) become the 4-character escape `\xNN`, which is how nginx itself
 * writes unsafe bytes (ngx_http_log_escape), so nothing is lost and the result reads like nginx output.
 */
export function decodeLogBytes(buf: Buffer, start: number, end: number): string {
  if (start >= end) return '';
  const view = buf.subarray(start, end);
  // Both checks are native (simdutf / memchr): the common case never walks the bytes in JS.
  if (isUtf8(view) && view.indexOf(0) === -1) return view.toString('utf8');
  return decodeWithEscapes(buf, start, end);
}

function decodeWithEscapes(buf: Buffer, start: number, end: number): string {
  let out = '';
  let runStart = start;
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b !== 0 && b < 0x80) {
      i++;
      continue;
    }
    const n = b === 0 ? 0 : utf8SequenceLength(buf, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    if (i > runStart) out += buf.toString('utf8', runStart, i);
    out += `\\x${HEX[b]!}`;
    i++;
    runStart = i;
  }
  if (runStart < end) out += buf.toString('utf8', runStart, end);
  return out;
}

/** Length of the well-formed UTF-8 sequence starting at i (RFC 3629, table 3-7), or 0 if ill-formed. */
export function utf8SequenceLength(buf: Uint8Array, i: number, end: number): number {
  const b = buf[i]!;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) need = 1;
  else if (b >= 0xe0 && b <= 0xef) {
    need = 2;
    if (b === 0xe0) lo = 0xa0; // no overlong forms
    if (b === 0xed) hi = 0x9f; // no UTF-16 surrogates
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f; // nothing above U+10FFFF
  } else return 0;
  if (i + need >= end) return 0; // truncated sequence
  const second = buf[i + 1]!;
  if (second < lo || second > hi) return 0;
  for (let k = 2; k <= need; k++) {
    const c = buf[i + k]!;
    if (c < 0x80 || c > 0xbf) return 0;
  }
  return need + 1;
}

/**
 * Moves a cut position back so that it does not split a multi-byte character: the bytes before
 * `end` then never end in a partial sequence (which would otherwise decode as `\xNN` escapes).
 */
export function cutAtCharBoundary(buf: Uint8Array, start: number, end: number): number {
  let j = end - 1;
  const floor = Math.max(start, end - 4);
  while (j >= floor && (buf[j]! & 0xc0) === 0x80) j--;
  if (j < floor) return end;
  const lead = buf[j]!;
  const len = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return j + len > end ? j : end;
}

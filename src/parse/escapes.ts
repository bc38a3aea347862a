/**
 * Undoing the web servers' escaping in quoted fields (referer, user agent):
 * - nginx `escape=default` writes `"`, `\`, bytes < 0x20 and > 0x7E as `\xNN` (ngx_http_log_escape);
 * - Apache writes `\"`, `\\` and non-printable bytes as `\xhh` (ap_escape_logitem);
 * one decoder serves both, as neither server emits the other's forms. `escape=json` writes `\"`,
 * `\\`, `\n`… and `\u00NN`.
 * A `\xNN` run is decoded only when it yields printable ASCII or well-formed UTF-8 (a UA in Cyrillic
 * comes back readable); control bytes, NUL and invalid UTF-8 stay as the escape text, so the value is
 * always valid text and nothing is lost.
 */

const BACKSLASH = 92;

function hexValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** The byte of a `\xHH` escape at i, or -1. */
function escapedByte(s: string, i: number, end: number): number {
  if (i + 3 >= end || s.charCodeAt(i) !== BACKSLASH || (s.charCodeAt(i + 1) | 0x20) !== 120) return -1;
  const hi = hexValue(s, i + 2);
  const lo = hexValue(s, i + 3);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/** Decodes a UTF-8 sequence written as consecutive `\xHH` escapes starting at i: [code point, chars used] or null. */
function escapedUtf8(s: string, i: number, end: number, lead: number): [number, number] | null {
  let need: number;
  let cp: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) [need, cp] = [1, lead & 0x1f];
  else if (lead >= 0xe0 && lead <= 0xef) {
    [need, cp] = [2, lead & 0x0f];
    if (lead === 0xe0) lo = 0xa0;
    if (lead === 0xed) hi = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    [need, cp] = [3, lead & 0x07];
    if (lead === 0xf0) lo = 0x90;
    if (lead === 0xf4) hi = 0x8f;
  } else return null;
  for (let k = 1; k <= need; k++) {
    const b = escapedByte(s, i + 4 * k, end);
    if (b < (k === 1 ? lo : 0x80) || b > (k === 1 ? hi : 0xbf)) return null;
    cp = (cp << 6) | (b & 0x3f);
  }
  return [cp, 4 * (need + 1)];
}

/** The text of [start, end) with escapes undone as described above. */
export function unescapeLogValue(s: string, start: number, end: number, json = false): string {
  const first = s.indexOf('\\', start);
  if (first === -1 || first >= end) return s.substring(start, end);
  let out = s.substring(start, first);
  let i = first;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== BACKSLASH || i + 1 >= end) {
      out += s[i];
      i++;
      continue;
    }
    const n = s.charCodeAt(i + 1);
    if (n === 34 || n === BACKSLASH || (json && n === 47)) {
      out += s[i + 1];
      i += 2;
      continue;
    }
    if (json && n === 117 && i + 5 < end) {
      const hex = s.substring(i + 2, i + 6);
      if (/^[0-9a-fA-F]{4}$/.test(hex) && hex !== '0000') {
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
    }
    const b = escapedByte(s, i, end);
    if (b >= 0x20 && b <= 0x7e) {
      out += String.fromCharCode(b);
      i += 4;
      continue;
    }
    const seq = b >= 0x80 ? escapedUtf8(s, i, end, b) : null;
    if (seq !== null) {
      out += String.fromCodePoint(seq[0]);
      i += seq[1];
      continue;
    }
    out += s[i];
    i++;
  }
  return out;
}

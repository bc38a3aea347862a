/** Value conversions shared by the access-log layouts and the error-log parsers. All work on [start, end) of a line. */
import { MAX_HOST_CHARS } from './fieldBounds.js';

export function isDash(s: string, start: number, end: number): boolean {
  return end - start === 1 && s.charCodeAt(start) === 45;
}

/** A non-negative decimal integer (at most 15 digits, so always exact), or -1. */
export function parseUInt(s: string, start: number, end: number): number {
  return end - start > 15 ? -1 : parseDigits(s, start, end);
}

/**
 * A non-negative decimal integer of any length, or -1: exact up to 2^53, beyond that only good for
 * comparing with a bound (durations and sizes: see fieldBounds.ts).
 */
export function parseDigits(s: string, start: number, end: number): number {
  if (end <= start) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** An HTTP status: three digits, 100–599; -1 otherwise. */
export function parseStatus(s: string, start: number, end: number): number {
  if (end - start !== 3) return -1;
  const v = parseUInt(s, start, end);
  return v >= 100 && v <= 599 ? v : -1;
}

/**
 * Seconds with an optional fraction (`0.050`, `12`) as milliseconds, computed from the digits so
 * that 0.050 s is exactly 50 ms; NaN when not a number. Exact up to 12 digits of whole seconds; longer
 * values are only good for comparing with a bound (see fieldBounds.ts).
 */
export function secondsToMs(s: string, start: number, end: number): number {
  let i = start;
  let whole = 0;
  while (i < end) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    whole = whole * 10 + d;
    i++;
  }
  if (i === start) return NaN;
  if (i === end) return whole * 1000;
  if (s.charCodeAt(i) !== 46 || i + 1 === end) return NaN;
  let frac = 0;
  let scale = 1;
  for (i++; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9 || scale >= 1e9) return NaN;
    frac = frac * 10 + d;
    scale *= 10;
  }
  return whole * 1000 + (frac * 1000) / scale;
}

/**
 * nginx $upstream_response_time: one time per upstream tried, `0.001, 0.002` (next upstream) and
 * `… : 0.003` (internal redirect to another group); `-` where none was reached. The sum is the time
 * spent upstream; null when every entry is `-`; NaN when an entry is not a number.
 */
export function sumSecondsList(s: string, start: number, end: number): number | null {
  let total = 0;
  let seen = false;
  let i = start;
  while (i < end) {
    while (i < end && isListSeparator(s.charCodeAt(i))) i++;
    let j = i;
    while (j < end && !isListSeparator(s.charCodeAt(j))) j++;
    if (j > i && !isDash(s, i, j)) {
      const ms = secondsToMs(s, i, j);
      if (Number.isNaN(ms)) return NaN;
      total += ms;
      seen = true;
    }
    i = j;
  }
  return seen ? total : null;
}

function isListSeparator(c: number): boolean {
  return c === 44 || c === 58 || c === 32; // , : space
}

/**
 * The client from $remote_addr / %h. Besides one address this may be a list written by a proxy
 * setup, e.g. `10.0.0.2, 10.0.0.1, 127.0.0.1` or `"10.5.102.222, 175.16.199.1" 10.2.1.185`
 * (seen in Filebeat's fixtures). We keep the first entry: by X-Forwarded-For convention the leftmost
 * is the originating client. Returns null for `-`, undefined for something that is not an address
 * list — two bare words (`www.example.com 1.2.3.4`) mean a vhost prefix, i.e. another layout.
 * Hostnames (HostnameLookups On) and nginx's `unix:` are kept as logged.
 */
export function clientAddress(s: string, start: number, end: number): string | null | undefined {
  if (isDash(s, start, end)) return null;
  let i = start;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 44 || c === 32 || c === 34) break;
  }
  if (i === end) return end > start ? s.substring(start, end) : undefined; // one address: the common case
  const space = s.indexOf(' ', start);
  if (space !== -1 && space < end) {
    const comma = s.indexOf(',', start);
    if ((comma === -1 || comma > end) && s.charCodeAt(start) !== 34) return undefined;
  }
  let p = start;
  if (s.charCodeAt(p) === 34) p++;
  let q = p;
  while (q < end) {
    const c = s.charCodeAt(q);
    if (c === 44 || c === 32 || c === 34) break;
    q++;
  }
  return q > p ? s.substring(p, q) : undefined;
}

/**
 * A host name without its `:port` (`example.com:80`, `[::1]:8080`), so that $host, `%v:%p`,
 * `$host:$server_port` prefixes and the error log's Host header all name a vhost the same way.
 * Null for `-`, empty, or longer than MAX_HOST_CHARS (not a host name: a client can send any Host header).
 */
export function hostWithoutPort(s: string, start: number, end: number): string | null {
  if (end <= start || isDash(s, start, end)) return null;
  let cut = end;
  if (s.charCodeAt(start) === 91) {
    const close = s.indexOf(']', start);
    if (close !== -1 && close < end - 1 && s.charCodeAt(close + 1) === 58 && parseUInt(s, close + 2, end) >= 0) cut = close + 1;
  } else {
    // Exactly one colon: host:port. Several: a bare IPv6 address, left alone.
    const colon = s.indexOf(':', start);
    if (colon !== -1 && colon < end && s.lastIndexOf(':', end - 1) === colon && parseUInt(s, colon + 1, end) >= 0) cut = colon;
  }
  return cut > start && cut - start <= MAX_HOST_CHARS ? s.substring(start, cut) : null;
}

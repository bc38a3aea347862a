import type { LogRecord } from '../domain/record.js';
import { MAX_METHOD_CHARS, MAX_PROTOCOL_CHARS } from './fieldBounds.js';

/**
 * Splits an HTTP request line as logged (`$request` / `%r`) into method, endpoint and protocol.
 * The line is kept verbatim as the message. Anything that is not `METHOD target [HTTP/x.y]` — `-`,
 * an empty request, TLS or RAT junk sent to a plain-HTTP port (nginx/Apache answer 400 and log the
 * bytes as `\xNN`) — leaves method, endpoint and protocol null.
 */

/** A constant string for common methods (no substring per line); others are sliced from the line. */
function methodAt(s: string, start: number, end: number): string {
  switch (end - start) {
    case 3:
      if (s.startsWith('GET', start)) return 'GET';
      if (s.startsWith('PUT', start)) return 'PUT';
      break;
    case 4:
      if (s.startsWith('POST', start)) return 'POST';
      if (s.startsWith('HEAD', start)) return 'HEAD';
      break;
    case 5:
      if (s.startsWith('PATCH', start)) return 'PATCH';
      break;
    case 6:
      if (s.startsWith('DELETE', start)) return 'DELETE';
      break;
    case 7:
      if (s.startsWith('OPTIONS', start)) return 'OPTIONS';
      if (s.startsWith('CONNECT', start)) return 'CONNECT';
      break;
  }
  return s.substring(start, end);
}

/** A constant string for HTTP/1.1, HTTP/1.0 and HTTP/2.0; others are sliced from the line. */
function protocolAt(s: string, start: number, end: number): string {
  if (end - start === 8 && s.charCodeAt(start + 6) === 46) {
    const major = s.charCodeAt(start + 5);
    const minor = s.charCodeAt(start + 7);
    if (major === 49 && minor === 49) return 'HTTP/1.1';
    if (major === 49 && minor === 48) return 'HTTP/1.0';
    if (major === 50 && minor === 48) return 'HTTP/2.0';
  }
  return s.substring(start, end);
}

/** RFC 9110 methods are tokens; real ones are upper-case letters with `-`/`_` (M-SEARCH, VERSION-CONTROL). */
function isMethodChar(c: number): boolean {
  return (c >= 65 && c <= 90) || c === 45 || c === 95;
}

/** RFC 9110 `tchar`: the characters of a token, such as a method. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/**
 * A method logged on its own (`$request_method`, `%m`): an HTTP token of at most MAX_METHOD_CHARS, or
 * null. Anything else means the request was not HTTP (the method is in the rollup key: see fieldBounds.ts).
 */
export function httpMethod(s: string, start: number, end: number): string | null {
  if (end <= start || end - start > MAX_METHOD_CHARS) return null;
  for (let i = start; i < end; i++) if (TCHAR[s.charCodeAt(i)] !== 1) return null;
  return methodAt(s, start, end);
}

/** A protocol logged on its own (`$server_protocol`, `%H`): `HTTP/x.y` of at most MAX_PROTOCOL_CHARS, or null. */
export function httpProtocol(s: string, start: number, end: number): string | null {
  return isHttpVersion(s, start, end) ? protocolAt(s, start, end) : null;
}

/** `HTTP/` followed by a version such as 1.1, 2.0, 2 or 0.9 (bogus versions like 2.1 are logged as sent). */
function isHttpVersion(s: string, start: number, end: number): boolean {
  if (end - start < 6 || end - start > MAX_PROTOCOL_CHARS) return false;
  if (s.charCodeAt(start) !== 72 || s.charCodeAt(start + 4) !== 47 || !s.startsWith('HTTP/', start)) return false;
  for (let i = start + 5; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46)) return false;
  }
  return true;
}

/** Path without the query string; for an absolute URI (`GET https://host/x?y`) its path; CONNECT targets as they are. */
export function endpointOf(s: string, start: number, end: number, isConnect: boolean): string {
  if (isConnect) return s.substring(start, end);
  let pathStart = start;
  if (s.charCodeAt(start) !== 47) {
    const scheme = s.indexOf('://', start);
    if (scheme > start && scheme < end && scheme - start <= 10) {
      const slash = s.indexOf('/', scheme + 3);
      const q = s.indexOf('?', scheme + 3);
      if (slash === -1 || slash >= end || (q !== -1 && q < slash)) return '/';
      pathStart = slash;
    }
  }
  let q = pathStart;
  while (q < end && s.charCodeAt(q) !== 63) q++; // '?'
  return s.substring(pathStart, q);
}

/** Sets message, method, endpoint and protocol of `rec` from the request line at [start, end). */
export function applyRequestLine(rec: LogRecord, s: string, start: number, end: number): void {
  rec.message = s.substring(start, end);
  applyRequestParts(rec, s, start, end);
}

/** Sets method, endpoint and protocol (not the message) from a request line. */
export function applyRequestParts(rec: LogRecord, s: string, start: number, end: number): void {
  let p = start;
  while (p < end && isMethodChar(s.charCodeAt(p))) p++;
  const c0 = s.charCodeAt(start);
  if (p === start || p >= end || s.charCodeAt(p) !== 32 || p - start > MAX_METHOD_CHARS || c0 < 65 || c0 > 90) return;
  let targetEnd = end;
  let lastSpace = end - 1;
  while (lastSpace > p && s.charCodeAt(lastSpace) !== 32) lastSpace--;
  if (isHttpVersion(s, lastSpace + 1, end)) {
    rec.protocol = protocolAt(s, lastSpace + 1, end);
    targetEnd = lastSpace;
  }
  let targetStart = p + 1;
  while (targetStart < targetEnd && s.charCodeAt(targetStart) === 32) targetStart++;
  while (targetEnd > targetStart && s.charCodeAt(targetEnd - 1) === 32) targetEnd--;
  const method = methodAt(s, start, p);
  rec.method = method;
  rec.endpoint = targetStart < targetEnd ? endpointOf(s, targetStart, targetEnd, method === 'CONNECT') : null;
}

import type { LogRecord } from '../domain/record.js';

/**
 * Splits an HTTP request line as logged (`$request` / `%r`) into method, endpoint and protocol.
 * The line is kept verbatim as the message. Anything that is not `METHOD target [HTTP/x.y]` — `-`,
 * an empty request, TLS or RAT junk sent to a plain-HTTP port (nginx/Apache answer 400 and log the
 * bytes as `\xNN`) — leaves method, endpoint and protocol null.
 */

const COMMON_METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'PROPFIND', 'TRACE'];
const COMMON_PROTOCOLS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/2', 'HTTP/3.0', 'HTTP/3'];

/** Reuses a constant string for common values instead of allocating a substring per line. */
function intern(s: string, start: number, end: number, common: readonly string[]): string {
  const len = end - start;
  for (const c of common) if (c.length === len && s.startsWith(c, start)) return c;
  return s.substring(start, end);
}

/** RFC 9110 methods are tokens; real ones are upper-case letters with `-`/`_` (M-SEARCH, VERSION-CONTROL). */
function isMethodChar(c: number): boolean {
  return (c >= 65 && c <= 90) || c === 45 || c === 95;
}

/** `HTTP/` followed by a version such as 1.1, 2.0, 2 or 0.9 (bogus versions like 2.1 are logged as sent). */
function isHttpVersion(s: string, start: number, end: number): boolean {
  if (end - start < 6 || !s.startsWith('HTTP/', start)) return false;
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
  const q = s.indexOf('?', pathStart);
  return s.substring(pathStart, q === -1 || q > end ? end : q);
}

/** Sets message, method, endpoint and protocol of `rec` from the request line at [start, end). */
export function applyRequestLine(rec: LogRecord, s: string, start: number, end: number): void {
  rec.message = s.substring(start, end);
  let p = start;
  while (p < end && isMethodChar(s.charCodeAt(p))) p++;
  const c0 = s.charCodeAt(start);
  if (p === start || p >= end || s.charCodeAt(p) !== 32 || p - start > 24 || c0 < 65 || c0 > 90) return;
  let targetEnd = end;
  const lastSpace = s.lastIndexOf(' ', end - 1);
  if (lastSpace >= p && isHttpVersion(s, lastSpace + 1, end)) {
    rec.protocol = intern(s, lastSpace + 1, end, COMMON_PROTOCOLS);
    targetEnd = lastSpace;
  }
  let targetStart = p + 1;
  while (targetStart < targetEnd && s.charCodeAt(targetStart) === 32) targetStart++;
  while (targetEnd > targetStart && s.charCodeAt(targetEnd - 1) === 32) targetEnd--;
  const method = intern(s, start, p, COMMON_METHODS);
  rec.method = method;
  rec.endpoint = targetStart < targetEnd ? endpointOf(s, targetStart, targetEnd, method === 'CONNECT') : null;
}

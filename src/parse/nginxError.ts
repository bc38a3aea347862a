import type { LogLevel, LogRecord } from '../domain/record.js';
import { MAX_CLIENT_CHARS, withinChars } from './fieldBounds.js';
import { hostWithoutPort } from './fieldValues.js';
import { emptyRecord, excerpt, failWith, type Failure, type LineFormat } from './lineFormat.js';
import { applyRequestParts } from './requestLine.js';
import { syslogPrefixLength } from './syslog.js';
import { parseSlashDateTime } from './timestamps.js';
import { UTC, type Zone } from './zone.js';

/**
 * The nginx error log, whose layout is fixed (ngx_log_error_core):
 *   `2026/10/10 13:55:36 [error] 1234#0: *5 message, client: 1.2.3.4, server: x, request: "GET /x HTTP/1.1", upstream: "…", host: "…", referrer: "…"`
 * The time is the server's local time without a zone: it is read in `zone` (the upload's `tz`, UTC by default). The message is everything
 * after `*CID ` (or after `PID#TID: ` for process-level messages), context included, and for a
 * FastCGI backend's multi-line stderr output the whole record.
 */
export class NginxErrorFormat implements LineFormat {
  readonly name = 'nginx_error';
  readonly multiLine = true;

  constructor(private readonly zone: Zone = UTC) {}

  /** Continuation lines (FastCGI stderr output) are those that do not start with `YYYY/MM/DD HH:MM:SS [`. */
  startsRecord(line: string): boolean {
    if (isNginxErrorStart(line, 0)) return true;
    const off = syslogPrefixLength(line);
    return off > 0 && isNginxErrorStart(line, off);
  }

  parseLine(text: string, fail: Failure): LogRecord | null {
    const ts = text.length >= 21 ? parseSlashDateTime(text, 0, this.zone) : NaN;
    if (Number.isNaN(ts) || text.charCodeAt(19) !== 32 || text.charCodeAt(20) !== 91) {
      return failWith(fail, 'layout_mismatch', "nginx_error: expected a 'YYYY/MM/DD HH:MM:SS [level]' start at column 1", 0);
    }
    const close = text.indexOf(']', 21);
    const level = close === -1 ? null : severityLevel(text.substring(21, close));
    if (level === null) {
      // An excerpt: the next ']' may be a megabyte further on, and a detail is stored with every rejected line.
      return failWith(fail, 'unknown_level', `nginx severity '${excerpt(text, 21, close === -1 ? Math.min(30, text.length) : close)}' at column 22`, 21);
    }
    let p = close + 2;
    const pidEnd = skipDigits(text, p);
    const tidEnd = text.charCodeAt(pidEnd) === 35 ? skipDigits(text, pidEnd + 1) : -1;
    if (text.charCodeAt(close + 1) !== 32 || pidEnd === p || tidEnd <= pidEnd + 1 || text.charCodeAt(tidEnd) !== 58) {
      return failWith(fail, 'layout_mismatch', `nginx_error: expected 'PID#TID: ' at column ${p + 1}`, p);
    }
    p = tidEnd + 1;
    if (text.charCodeAt(p) === 32) p++;
    if (text.charCodeAt(p) === 42) {
      const cidEnd = skipDigits(text, p + 1);
      if (cidEnd > p + 1 && text.charCodeAt(cidEnd) === 32) p = cidEnd + 1;
    }
    const rec = emptyRecord();
    rec.timestamp = ts;
    rec.level = level;
    rec.message = text.substring(p);
    applyContext(rec, text, p);
    return rec;
  }
}

/** `YYYY/MM/DD HH:MM:SS [` at p. */
export function isNginxErrorStart(s: string, p: number): boolean {
  return (
    s.length >= p + 21 &&
    s.charCodeAt(p + 4) === 47 &&
    s.charCodeAt(p + 7) === 47 &&
    s.charCodeAt(p + 10) === 32 &&
    s.charCodeAt(p + 13) === 58 &&
    s.charCodeAt(p + 19) === 32 &&
    s.charCodeAt(p + 20) === 91 &&
    isDigit(s.charCodeAt(p)) &&
    isDigit(s.charCodeAt(p + 18))
  );
}

function severityLevel(name: string): LogLevel | null {
  switch (name) {
    case 'debug':
    case 'info':
    case 'notice':
      return 'INFO';
    case 'warn':
      return 'WARN';
    case 'error':
    case 'crit':
    case 'alert':
    case 'emerg':
      return 'ERROR';
    default:
      return null;
  }
}

/** Context keys nginx appends to a message (ngx_http_log_error, ngx_mail_log_error, ngx_stream). */
const KEYS = ['client', 'server', 'request', 'subrequest', 'upstream', 'host', 'referrer', 'login'];
const CLIENT = ', client: ';

/**
 * Fills client, request and host from the context at the end of the message. A message can itself
 * contain `, client: ` (a user name is logged verbatim, and fail2ban has a test of exactly that
 * injection), so the context is the last `, client: ` from which the rest of the text reads as
 * `, key: value` pairs to the end; a few candidates are tried from the end (bounded, linear time).
 */
function applyContext(rec: LogRecord, text: string, from: number): void {
  let pos = text.length;
  let fallback = -1;
  for (let tries = 0; tries < 4; tries++) {
    const c = text.lastIndexOf(CLIENT, pos - 1);
    if (c < from) break;
    if (fallback < 0) fallback = c;
    if (readContext(rec, text, c, true)) return;
    pos = c;
  }
  if (fallback >= 0) readContext(rec, text, fallback, false);
}

/** Reads `, key: value` pairs from p to the end; with `strict`, only succeeds (and only stores) if they reach the end. */
function readContext(rec: LogRecord, text: string, p: number, strict: boolean): boolean {
  const found: [string, number, number][] = [];
  const end = text.length;
  while (p < end) {
    const key = keyAt(text, p);
    if (key === null) {
      if (strict) return false;
      break;
    }
    const vStart = p + key.length + 4;
    let vEnd: number;
    let next: number;
    if (text.charCodeAt(vStart) === 34) {
      vEnd = quotedEnd(text, vStart + 1);
      next = vEnd === end ? end : vEnd + 1;
      found.push([key, vStart + 1, vEnd]);
    } else {
      vEnd = nextKey(text, vStart);
      next = vEnd;
      found.push([key, vStart, vEnd]);
    }
    p = next;
  }
  for (const [key, a, b] of found) {
    if (key === 'client') {
      const sp = text.indexOf(' ', a); // `client: 1.2.3.4 using starttls` (mail)
      rec.clientIp = b > a ? withinChars(text.substring(a, sp !== -1 && sp < b ? sp : b), MAX_CLIENT_CHARS) : null;
    } else if (key === 'request') applyRequestParts(rec, text, a, b);
    else if (key === 'host') rec.host = hostWithoutPort(text, a, b);
    else if (key === 'referrer') rec.referer = b > a ? text.substring(a, b) : null;
  }
  return true;
}

/** The key of a `, key: ` at p, or null. */
function keyAt(text: string, p: number): string | null {
  if (text.charCodeAt(p) !== 44 || text.charCodeAt(p + 1) !== 32) return null;
  for (const key of KEYS) {
    if (text.startsWith(key, p + 2) && text.charCodeAt(p + 2 + key.length) === 58 && text.charCodeAt(p + 3 + key.length) === 32) return key;
  }
  return null;
}

/** The closing quote of a value: one followed by another key or by the end. */
function quotedEnd(text: string, from: number): number {
  let q = text.indexOf('"', from);
  while (q !== -1) {
    if (q === text.length - 1 || keyAt(text, q + 1) !== null) return q;
    q = text.indexOf('"', q + 1);
  }
  return text.length;
}

function nextKey(text: string, from: number): number {
  let q = text.indexOf(', ', from);
  while (q !== -1) {
    if (keyAt(text, q) !== null) return q;
    q = text.indexOf(', ', q + 1);
  }
  return text.length;
}

function skipDigits(s: string, p: number): number {
  while (isDigit(s.charCodeAt(p))) p++;
  return p;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

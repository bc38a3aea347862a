import type { LogLevel, LogRecord } from '../domain/record.js';
import { MAX_CLIENT_CHARS, withinChars } from './fieldBounds.js';
import { emptyRecord, excerpt, failWith, type Failure, type LineFormat } from './lineFormat.js';
import { parseAnyTimestamp } from './timestamps.js';
import { UTC, type Zone } from './zone.js';

/**
 * The Apache error log, 2.2 and 2.4 default layouts:
 *   2.2  `[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] message`
 *   2.4  `[Wed Oct 11 14:32:52.123456 2000] [module:level] [pid N:tid N] (errno)Text: [client ip:port] AHnnnnn: message, referer: …`
 * (2.4's built-in ErrorLogFormat is `[%{u}t] [%-m:%l] [pid %P:tid %T] %7F: %E: [client\ %a] %M% ,\ referer\ %{Referer}i`).
 * The time has no zone and is read in `zone` (the upload's `tz`, UTC by default); microseconds are kept as a fraction of a millisecond.
 * The message is the text after the header brackets, with the `[client …]` segment taken out.
 */
export class ApacheErrorFormat implements LineFormat {
  readonly name = 'apache_error';
  readonly multiLine = false;

  constructor(private readonly zone: Zone = UTC) {}

  startsRecord(): boolean {
    return true;
  }

  parseLine(text: string, fail: Failure): LogRecord | null {
    const tsEnd = text.indexOf(']', 1);
    if (text.charCodeAt(0) !== 91 || tsEnd === -1) {
      return failWith(fail, 'layout_mismatch', "apache_error: expected '[' and a timestamp at column 1", 0);
    }
    const ts = parseAnyTimestamp(text, 1, tsEnd, this.zone);
    if (Number.isNaN(ts)) {
      // `[authz_core:error] …` after a syslog header: such lines carry only syslog's time, which has no year.
      const shown = excerpt(text, 1, tsEnd);
      return /\d/.test(shown)
        ? failWith(fail, 'bad_timestamp', `'${shown}' at column 2`, 1)
        : failWith(fail, 'no_timestamp', `the line starts with '[${shown}]'`, 1);
    }
    if (text.charCodeAt(tsEnd + 1) !== 32 || text.charCodeAt(tsEnd + 2) !== 91) {
      return failWith(fail, 'layout_mismatch', `apache_error: expected ' [level]' at column ${tsEnd + 2}`, tsEnd + 1);
    }
    const levelEnd = text.indexOf(']', tsEnd + 3);
    const colon = levelEnd === -1 ? -1 : text.lastIndexOf(':', levelEnd);
    const nameStart = colon > tsEnd ? colon + 1 : tsEnd + 3;
    const level = levelEnd === -1 ? null : severityLevel(text.substring(nameStart, levelEnd));
    if (level === null) {
      return failWith(fail, 'unknown_level', `Apache log level '${excerpt(text, nameStart, levelEnd === -1 ? text.length : levelEnd)}' at column ${nameStart + 1}`, nameStart);
    }
    let v24 = colon > tsEnd; // [module:level]
    let p = levelEnd + 1;
    while (text.startsWith(' [pid ', p)) {
      const close = text.indexOf(']', p);
      if (close === -1) break;
      p = close + 1;
      v24 = true;
    }
    if (text.charCodeAt(p) === 32) p++;
    const rec = emptyRecord();
    rec.timestamp = ts;
    rec.level = level;
    const seg = clientSegment(text, p);
    if (seg === null) rec.message = text.substring(p);
    else {
      rec.clientIp = withinChars(clientAddress(text, seg.addrStart, seg.addrEnd, v24), MAX_CLIENT_CHARS);
      const after = text.charCodeAt(seg.end) === 32 ? seg.end + 1 : seg.end;
      rec.message = text.substring(p, seg.start) + text.substring(after);
    }
    const referer = rec.message.lastIndexOf(', referer: ');
    if (referer !== -1) rec.referer = rec.message.substring(referer + 11) || null;
    return rec;
  }
}

function severityLevel(name: string): LogLevel | null {
  switch (name) {
    case 'emerg':
    case 'alert':
    case 'crit':
    case 'error':
      return 'ERROR';
    case 'warn':
      return 'WARN';
    case 'notice':
    case 'info':
    case 'debug':
      return 'INFO';
    default:
      return /^trace[1-8]$/.test(name) ? 'INFO' : null;
  }
}

interface Segment {
  start: number;
  end: number;
  addrStart: number;
  addrEnd: number;
}

/**
 * The `[client …]` (or mod_remoteip's `[remote …]`) segment: right at p, or after 2.4's
 * `(errno)Text: ` / `file.c(line): ` prefixes. A `[client …]` later inside the message text is
 * content (fail2ban tests exactly that spoofing), not the client.
 */
function clientSegment(text: string, p: number): Segment | null {
  let at = p;
  if (!isClientOpen(text, at)) {
    const c0 = text.charCodeAt(p);
    if (c0 !== 40 && !/^[\w.-]+\.c\(\d+\): /.test(text.substring(p, p + 64))) return null;
    const colon = text.indexOf(': [', p);
    if (colon === -1 || !isClientOpen(text, colon + 2)) return null;
    at = colon + 2;
  }
  const addrStart = at + 8;
  let close = text.indexOf(']', addrStart);
  if (text.charCodeAt(addrStart) === 91 && close !== -1) close = text.indexOf(']', close + 1); // [client [v6]:port]
  if (close === -1) return null;
  return { start: at, end: close + 1, addrStart, addrEnd: close };
}

function isClientOpen(text: string, p: number): boolean {
  return text.startsWith('[client ', p) || text.startsWith('[remote ', p);
}

/**
 * The address without its port. 2.4 logs `ip:port` (IPv6 too: `::1:58619`), 2.2 only the address,
 * so a port is stripped from an IPv6 address only in 2.4 lines, and only when what is left is still
 * a plausible IPv6 address.
 */
function clientAddress(text: string, a: number, b: number, v24: boolean): string | null {
  if (b <= a) return null;
  if (text.charCodeAt(a) === 91) {
    const inner = text.indexOf(']', a);
    return text.substring(a + 1, inner);
  }
  const first = text.indexOf(':', a);
  if (first === -1 || first >= b) return text.substring(a, b);
  const last = text.lastIndexOf(':', b - 1);
  if (first === last) return text.substring(a, first);
  if (v24 && /^\d{1,5}$/.test(text.substring(last + 1, b))) {
    const addr = text.substring(a, last);
    if (!addr.endsWith(':') || addr.endsWith('::')) return addr;
  }
  return text.substring(a, b);
}

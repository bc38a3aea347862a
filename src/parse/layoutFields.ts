import type { LogRecord } from '../domain/record.js';
import { unescapeLogValue } from './escapes.js';
import type { RejectionCode } from '../domain/rejection.js';
import { implausibleDetail, MAX_BYTES, MAX_CLIENT_CHARS, MAX_DURATION_MS, withinChars } from './fieldBounds.js';
import { clientAddress, hostWithoutPort, isDash, parseDigits, parseStatus, secondsToMs, sumSecondsList } from './fieldValues.js';
import { FieldKind } from './layout.js';
import { excerpt, failWith, type Failure } from './lineFormat.js';
import { endpointOf, applyRequestLine, httpMethod, httpProtocol } from './requestLine.js';
import {
  parseAnyTimestamp,
  parseEpochInteger,
  parseEpochSeconds,
  parseIso8601,
  parseTimeLocal,
} from './timestamps.js';
import type { Zone } from './zone.js';

/** Values of one line that are combined only once the whole line is read. */
export interface FieldState {
  body: number | null;
  total: number | null;
  upstream: number | null;
  hasRequest: boolean;
  uriStart: number;
  uriEnd: number;
  /** A method or protocol field as logged when it is not one (kept for the message; the record gets null). */
  junkMethod: string | null;
  junkProtocol: string | null;
}

/** The detail names the field as the format writes it (`$status`, `%>s`), the value and its column. */
function bad(fail: Failure, code: RejectionCode, label: string, s: string, start: number, end: number): false {
  failWith(fail, code, `${label} '${excerpt(s, start, end)}' at column ${start + 1}`, start);
  return false;
}

function implausible(fail: Failure, label: string, s: string, start: number, end: number, unit: string, kind: 'duration' | 'size'): false {
  failWith(fail, 'implausible_value', `${implausibleDetail(label, excerpt(s, start, end), unit, kind)} at column ${start + 1}`, start);
  return false;
}

const DURATION_UNITS: Partial<Record<FieldKind, string>> = {
  [FieldKind.DurationSeconds]: 's',
  [FieldKind.NginxSeconds]: 's',
  [FieldKind.WholeSeconds]: 's',
  [FieldKind.DurationMs]: 'ms',
  [FieldKind.DurationUs]: 'µs',
};

/**
 * Stores the value at [start, end) into the record. False (with `fail` filled in) when the value is
 * invalid. `zone`: the zone of a timestamp written without one (the upload's `tz`).
 */
export function storeField(
  kind: FieldKind,
  label: string,
  s: string,
  start: number,
  end: number,
  rec: LogRecord,
  st: FieldState,
  json: boolean,
  fail: Failure,
  zone: Zone,
): boolean {
  switch (kind) {
    case FieldKind.Ignore:
    case FieldKind.User:
    case FieldKind.QueryArgs:
      return true;
    case FieldKind.Client:
    case FieldKind.ClientOrDash: {
      const ip = clientAddress(s, start, end);
      if (ip === undefined || (ip === null && kind === FieldKind.Client)) return bad(fail, 'bad_client', label, s, start, end);
      rec.clientIp = withinChars(ip, MAX_CLIENT_CHARS);
      return true;
    }
    case FieldKind.TimeLocal:
      return setTime(rec, parseTimeLocal(s, start, end, zone), fail, label, s, start, end);
    case FieldKind.TimeIso:
      return setTime(rec, parseIso8601(s, start, end, zone), fail, label, s, start, end);
    case FieldKind.TimeEpochSeconds:
      return setTime(rec, parseEpochSeconds(s, start, end), fail, label, s, start, end);
    case FieldKind.TimeEpochMs:
      return setTime(rec, parseEpochInteger(s, start, end, 1), fail, label, s, start, end);
    case FieldKind.TimeEpochUs:
      return setTime(rec, parseEpochInteger(s, start, end, 0.001), fail, label, s, start, end);
    case FieldKind.TimeAny:
      return setTime(rec, parseAnyTimestamp(s, start, end, zone), fail, label, s, start, end);
    case FieldKind.Request:
      applyRequestLine(rec, s, start, end);
      st.hasRequest = true;
      return true;
    case FieldKind.Method:
      rec.method = end > start && !isDash(s, start, end) ? httpMethod(s, start, end) : null;
      if (rec.method === null && end > start && !isDash(s, start, end)) st.junkMethod = s.substring(start, end);
      return true;
    case FieldKind.Uri:
      st.uriStart = start;
      st.uriEnd = end;
      rec.endpoint = end > start && !isDash(s, start, end) ? endpointOf(s, start, end, false) : null;
      return true;
    case FieldKind.Protocol:
      rec.protocol = end > start && !isDash(s, start, end) ? httpProtocol(s, start, end) : null;
      if (rec.protocol === null && end > start && !isDash(s, start, end)) st.junkProtocol = s.substring(start, end);
      return true;
    case FieldKind.Status:
    case FieldKind.StatusOrDash: {
      if (kind === FieldKind.StatusOrDash && isDash(s, start, end)) return true;
      const status = parseStatus(s, start, end);
      if (status < 0) return bad(fail, 'bad_status', label, s, start, end);
      rec.statusCode = status;
      return true;
    }
    case FieldKind.BodyBytes:
    case FieldKind.ClfBytes:
    case FieldKind.BodyBytesOrDash:
    case FieldKind.TotalBytes: {
      let bytes: number | null;
      if (isDash(s, start, end) && kind !== FieldKind.BodyBytes) bytes = kind === FieldKind.ClfBytes ? 0 : null;
      else {
        bytes = parseDigits(s, start, end);
        if (bytes < 0) return bad(fail, 'bad_number', label, s, start, end);
        if (bytes > MAX_BYTES) return implausible(fail, label, s, start, end, 'bytes', 'size');
      }
      if (kind === FieldKind.TotalBytes) st.total = bytes;
      else st.body = bytes;
      return true;
    }
    case FieldKind.DurationSeconds:
    case FieldKind.NginxSeconds:
    case FieldKind.WholeSeconds:
    case FieldKind.DurationMs:
    case FieldKind.DurationUs:
      return setDuration(kind, label, s, start, end, rec, fail);
    case FieldKind.IgnoreNumber:
      return parseDigits(s, start, end) >= 0 || bad(fail, 'bad_number', label, s, start, end);
    case FieldKind.Pipe:
      return (end === start + 1 && (s.charCodeAt(start) === 112 || s.charCodeAt(start) === 46)) || bad(fail, 'bad_value', label, s, start, end);
    case FieldKind.ForwardedFor:
      // Not stored (the client is $remote_addr); checked so that a quoted timing is not taken for it.
      if (!isDash(s, start, end) && !looksLikeAddressList(s, start, end)) return bad(fail, 'bad_client', label, s, start, end);
      return true;
    case FieldKind.UpstreamSeconds: {
      const ms = sumSecondsList(s, start, end);
      if (ms !== null && Number.isNaN(ms)) return bad(fail, 'bad_number', label, s, start, end);
      if (ms !== null && ms > MAX_DURATION_MS) return implausible(fail, label, s, start, end, 's', 'duration');
      st.upstream = ms;
      return true;
    }
    case FieldKind.Referer:
      rec.referer = textValue(s, start, end, json);
      return true;
    case FieldKind.UserAgent:
      rec.userAgent = textValue(s, start, end, json);
      return true;
    case FieldKind.Host:
      rec.host = hostWithoutPort(s, start, end);
      return true;
  }
}

function setTime(rec: LogRecord, ms: number, fail: Failure, label: string, s: string, start: number, end: number): boolean {
  if (Number.isNaN(ms)) return bad(fail, 'bad_timestamp', label, s, start, end);
  rec.timestamp = ms;
  return true;
}

function setDuration(kind: FieldKind, label: string, s: string, start: number, end: number, rec: LogRecord, fail: Failure): boolean {
  if (isDash(s, start, end)) return true;
  let ms: number;
  if (kind === FieldKind.DurationSeconds) ms = secondsToMs(s, start, end);
  else if (kind === FieldKind.NginxSeconds) ms = hasThreeDecimals(s, start, end) ? secondsToMs(s, start, end) : NaN;
  else if (kind === FieldKind.WholeSeconds) {
    const v = parseDigits(s, start, end);
    ms = v < 0 ? NaN : v * 1000;
  } else {
    const v = parseDigits(s, start, end);
    ms = v < 0 ? NaN : kind === FieldKind.DurationMs ? v : v / 1000;
  }
  if (Number.isNaN(ms)) return bad(fail, 'bad_number', label, s, start, end);
  if (ms > MAX_DURATION_MS) return implausible(fail, label, s, start, end, DURATION_UNITS[kind]!, 'duration');
  rec.latencyMs = ms;
  return true;
}

/** `123.456`: digits, a point, exactly three digits (how nginx prints every time variable). */
function hasThreeDecimals(s: string, start: number, end: number): boolean {
  return end - start >= 5 && s.charCodeAt(end - 4) === 46;
}

/**
 * An X-Forwarded-For value: addresses (IPv4, IPv6, `unknown`, hostnames) separated by commas and
 * spaces. A number with a decimal point and nothing else (`0.318`) is not one: it is a timing.
 */
function looksLikeAddressList(s: string, start: number, end: number): boolean {
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) dots++;
    else if (c < 48 || c > 57) return true; // a letter, `:`, `,`, a space: an address or a list, never a timing
  }
  return dots !== 1;
}

/** Referer / user agent: `-` and empty mean absent; escapes undone (see escapes.ts). */
function textValue(s: string, start: number, end: number, json: boolean): string | null {
  if (end <= start || isDash(s, start, end)) return null;
  return unescapeLogValue(s, start, end, json);
}

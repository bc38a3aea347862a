/**
 * JSON access logs (nginx `escape=json` layouts, ingress-nginx, Caddy, Traefik, Envoy): which key
 * feeds which record field, and the unit of the durations, are decided once from sample lines
 * (jsonAccessFromSample); each line is then read with that plan (JsonAccessFormat). A record obeys the
 * rules of a layout record: the same time, request-line and value scanners, plausibility bounds and
 * key-field bounds. Keys the plan does not use are ignored: JSON names its fields, so an extra one is
 * not a field swallowed into another.
 */
import { levelFromStatus, type LogRecord } from '../domain/record.js';
import { implausibleDetail, MAX_BYTES, MAX_CLIENT_CHARS, MAX_DURATION_MS, withinChars } from './fieldBounds.js';
import { clientAddress, hostWithoutPort, parseDigits, parseStatus } from './fieldValues.js';
import { CLIENT_KEYS_WITH_PORT, isAbsent, valueAt, type ChosenKey } from './jsonKeys.js';
import { isDockerWrapper, JSON_REJECTIONS as R, parseJsonObject, refuse, refuseImplausible, reject, shown, type JsonObject } from './jsonLine.js';
import { planFromSample, mappingOf, type JsonPlan } from './jsonPlan.js';
import { durationMs, numberFromString, timeMs, UNIT_NAMES } from './jsonUnits.js';
import { UTC, type Zone } from './zone.js';
import { emptyRecord, excerpt, newFailure, type Failure, type LineFormat } from './lineFormat.js';
import { applyRequestLine, endpointOf, httpMethod, httpProtocol } from './requestLine.js';

export { JSON_REJECTIONS } from './jsonLine.js';

export interface JsonAccessDetection {
  /** Name 'json'; parseLine(text, fail) → LogRecord | null, never throws. */
  format: LineFormat;
  /** Record field → the JSON key it is read from, with the unit for durations (`latencyMs: 'request_time (s, nginx $request_time)'`). */
  mapping: Record<string, string>;
  confidence: 'high' | 'low';
  /** Null when sure; else one sentence saying what is uncertain and how it was read. */
  warning: string | null;
}

/**
 * Decides the key mapping and units once from sample lines; null when the sample is not JSON access
 * records (fewer than half of the non-empty sample lines are JSON objects with a usable time and a
 * status or request).
 */
export function jsonAccessFromSample(samples: readonly string[], zone: Zone = UTC): JsonAccessDetection | null {
  const lines = samples.filter((s) => s.trim() !== '');
  const fail = newFailure();
  const objects: JsonObject[] = [];
  for (const line of lines) {
    const o = parseJsonObject(line, fail);
    if (o !== null) objects.push(o);
  }
  if (objects.length === 0 || objects.length * 2 < lines.length) return null;
  const dockerLog = objects.filter(isDockerWrapper).length * 2 > objects.length;
  const records = dockerLog ? objects.map((o) => (isDockerWrapper(o) ? parseJsonObject(o.log, fail) : o)).filter((o) => o !== null) : objects;
  const plan = planFromSample(records, dockerLog);
  if (plan === null) return null;
  const format = new JsonAccessFormat(plan, zone);
  let usable = 0;
  for (const line of lines) {
    const rec = format.parseLine(line, fail);
    if (rec !== null && (rec.statusCode !== null || rec.method !== null || rec.endpoint !== null)) usable++;
  }
  if (usable * 2 < lines.length) return null;
  const latency = plan.latency?.reading;
  return { format, mapping: mappingOf(plan), confidence: latency?.confidence ?? 'high', warning: latency?.warning ?? null };
}

/** Reads lines with a plan. parseLine is synchronous and allocates the record and what JSON.parse builds. */
export class JsonAccessFormat implements LineFormat {
  readonly name = 'json';
  readonly multiLine = false;

  /** Paths of the text fields; the empty path (no value) for a field the plan has no key for. */
  private readonly paths: Readonly<Record<'request' | 'method' | 'uri' | 'args' | 'protocol' | 'userAgent' | 'referer' | 'host' | 'client' | 'forwardedFor', readonly string[]>>;
  private readonly clientHasPort: boolean;

  constructor(
    private readonly plan: JsonPlan,
    /** For a time without an offset (the upload's `tz`). */
    private readonly zone: Zone = UTC,
  ) {
    const k = plan.keys;
    const path = (c: ChosenKey | null): readonly string[] => c?.path ?? [];
    this.paths = {
      request: path(k.request), method: path(k.method), uri: path(k.uri), args: path(k.args), protocol: path(k.protocol),
      userAgent: path(k.userAgent), referer: path(k.referer), host: path(k.host), client: path(k.client), forwardedFor: path(k.forwardedFor),
    };
    this.clientHasPort = k.client !== null && CLIENT_KEYS_WITH_PORT.has(k.client.base);
  }

  startsRecord(): boolean {
    return true;
  }

  parseLine(text: string, fail: Failure): LogRecord | null {
    let line = text;
    let obj = parseJsonObject(text, fail);
    if (obj === null) return null;
    const P = this.plan;
    if (P.dockerLog && isDockerWrapper(obj)) {
      line = obj.log.trimEnd();
      obj = parseJsonObject(line, fail);
      if (obj === null) return null;
    }
    const rec = emptyRecord();
    const tv = valueAt(obj, P.time.path);
    if (isAbsent(tv)) return reject(fail, R.noTime, P.time.name, excerpt(line, 0, line.length));
    rec.timestamp = timeMs(tv, this.zone);
    if (Number.isNaN(rec.timestamp)) return reject(fail, R.badTime, P.time.name, shown(tv));
    if (!readStatus(obj, P.keys.status, rec, fail) || !readBytes(obj, P.keys.bytes, rec, fail) || !this.readLatency(obj, rec, fail)) return null;
    this.readRequest(obj, rec, line);
    rec.clientIp = this.client(obj);
    const paths = this.paths;
    rec.userAgent = textValue(valueAt(obj, paths.userAgent));
    rec.referer = textValue(valueAt(obj, paths.referer));
    const host = textValue(valueAt(obj, paths.host));
    rec.host = host === null ? null : hostWithoutPort(host, 0, host.length);
    rec.level = levelFromStatus(rec.statusCode);
    return rec;
  }

  private readLatency(obj: JsonObject, rec: LogRecord, fail: Failure): boolean {
    const L = this.plan.latency;
    if (L === null) return true;
    const v = valueAt(obj, L.key.path);
    const ms = durationMs(v, L.reading);
    if (ms === null) return true;
    if (Number.isNaN(ms)) return refuse(fail, R.badDuration, L.key.name, shown(v));
    if (ms > MAX_DURATION_MS) {
      const unit = typeof v === 'string' && Number.isNaN(numberFromString(v)) && !L.reading.list ? '(as written)' : UNIT_NAMES[L.reading.unit ?? 's'];
      return refuseImplausible(fail, implausibleDetail(L.key.name, shown(v), unit, 'duration'));
    }
    rec.latencyMs = ms;
    return true;
  }

  /** `request` (the request line) when the record has one; else method, uri (+ args) and protocol, as a layout assembles them. */
  private readRequest(obj: JsonObject, rec: LogRecord, line: string): void {
    const paths = this.paths;
    const request = textValue(valueAt(obj, paths.request));
    if (request !== null) {
      applyRequestLine(rec, request, 0, request.length);
      return;
    }
    const method = textValue(valueAt(obj, paths.method));
    const uri = textValue(valueAt(obj, paths.uri));
    if (method === null && uri === null) {
      rec.message = line;
      return;
    }
    const protocol = textValue(valueAt(obj, paths.protocol));
    const args = textValue(valueAt(obj, paths.args));
    rec.method = method === null ? null : httpMethod(method, 0, method.length);
    rec.endpoint = uri === null ? null : endpointOf(uri, 0, uri.length, false);
    rec.protocol = protocol === null ? null : httpProtocol(protocol, 0, protocol.length);
    const target = uri === null ? '-' : args !== null && !uri.includes('?') ? `${uri}?${args}` : uri;
    rec.message = protocol === null ? `${method ?? '-'} ${target}` : `${method ?? '-'} ${target} ${protocol}`;
    if (method !== null && rec.method === null) {
      // Not an HTTP method: not an HTTP request, as requestLine.ts decides for a whole request line.
      rec.endpoint = null;
      rec.protocol = null;
    }
  }

  /** The client key's address, else (per line) the leftmost X-Forwarded-For address. */
  private client(obj: JsonObject): string | null {
    let v = textValue(valueAt(obj, this.paths.client));
    if (v !== null && this.clientHasPort) v = withoutPort(v);
    if (v === null) v = textValue(valueAt(obj, this.paths.forwardedFor));
    if (v === null) return null;
    const ip = clientAddress(v, 0, v.length);
    return typeof ip === 'string' ? withinChars(ip, MAX_CLIENT_CHARS) : null;
  }
}

/** A text value: a string (or the first of an array: Caddy's headers), `-` and `""` absent; NUL, which PostgreSQL text refuses, kept as its escape. */
function textValue(v: unknown): string | null {
  const s = Array.isArray(v) ? (v[0] as unknown) : v;
  if (typeof s !== 'string' || s === '' || s === '-') return null;
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\\u0000') : s;
}

function readStatus(obj: JsonObject, key: ChosenKey | null, rec: LogRecord, fail: Failure): boolean {
  if (key === null) return true;
  const v = valueAt(obj, key.path);
  if (isAbsent(v)) return true;
  const status = typeof v === 'number' ? (Number.isInteger(v) && v >= 100 && v <= 599 ? v : -1) : typeof v === 'string' ? parseStatus(v, 0, v.length) : -1;
  if (status < 0) return refuse(fail, R.badStatus, key.name, shown(v));
  rec.statusCode = status;
  return true;
}

function readBytes(obj: JsonObject, key: ChosenKey | null, rec: LogRecord, fail: Failure): boolean {
  if (key === null) return true;
  const v = valueAt(obj, key.path);
  if (isAbsent(v)) return true;
  const bytes = typeof v === 'number' ? (Number.isInteger(v) && v >= 0 ? v : -1) : typeof v === 'string' ? parseDigits(v, 0, v.length) : -1;
  if (bytes < 0) return refuse(fail, R.badBytes, key.name, shown(v));
  if (bytes > MAX_BYTES) return refuseImplausible(fail, implausibleDetail(key.name, shown(v), 'bytes', 'size'));
  rec.bytesSent = bytes;
  return true;
}

/** `10.0.0.1:5432` → `10.0.0.1`, `[::1]:5432` → `::1`; anything else as it is. */
function withoutPort(v: string): string {
  if (v.charCodeAt(0) === 91) {
    const close = v.indexOf(']');
    return close > 1 ? v.substring(1, close) : v;
  }
  const colon = v.indexOf(':');
  return colon > 0 && v.lastIndexOf(':') === colon ? v.substring(0, colon) : v;
}

/**
 * Test support only: JSON access-log lines generated from each producer's official definition, with
 * the truth of every record. nginx lines come from the `log_format` text itself (each `$variable`
 * replaced as nginx's `escape=json` writes it); Caddy's and Traefik's from their documented records.
 */
import { levelFromStatus, type LogRecord } from '../domain/record.js';
import { prng } from '../../bench/generate.js';

export interface Truth {
  /** Epoch µs (whole seconds for layouts that log seconds). */
  us: number;
  status: number;
  /** Request duration in ns; upstream times in ns (nginx upstream layouts). */
  durationNs: number;
  upstreamNs: number[];
  bytes: number;
  method: string;
  path: string;
  query: string;
  protocol: string;
  ua: string;
  referer: string | null;
  host: string;
  client: string;
  /** The proxy in front (X-Forwarded-For's second entry). */
  proxy: string;
}


const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'];
const PATHS = ['/', '/api/orders/42', '/static/app.4f3c2a.js', '/users/8812/orders/9f3c2a', '/caf%C3%A9/menu', '/search', '/healthz'];
const QUERIES = ['', '', 'q=shoes&page=2', 'id=7', 'next=%2Fhome'];
const STATUSES = [200, 200, 200, 201, 204, 301, 304, 400, 401, 404, 404, 429, 499, 500, 502, 503];
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'curl/8.5.0',
  'kube-probe/1.30',
  'Go-http-client/2.0',
  'Bot "quoted" \\ backslash/1.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Safari/604.1 café',
];
const REFERERS = [null, null, 'https://example.com/', 'https://shop.example.com/cart?x=1'];
const HOSTS = ['example.com', 'api.example.com', 'shop.example.org'];

/** `n` records from `seed`, one every few seconds from 2024-03-10 (a DST day in the US). */
export function truths(n: number, seed: number, wholeSeconds: boolean): Truth[] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  let us = Date.UTC(2024, 2, 10, 6, 0, 0) * 1000;
  return Array.from({ length: n }, () => {
    us += Math.floor(r() * 5_000_000) + (wholeSeconds ? 1_000_000 : 1);
    if (wholeSeconds) us -= us % 1_000_000;
    // Durations from 100 µs to about 8 s, spread in log scale; nginx-style layouts log them to the ms.
    const durationNs = Math.round(10 ** (5 + r() * 5));
    const tries = r() < 0.2 ? 2 : 1;
    return {
      us,
      status: pick(STATUSES),
      durationNs,
      upstreamNs: Array.from({ length: tries }, () => Math.round((durationNs * 0.9) / tries)),
      bytes: Math.floor(r() ** 3 * 2_000_000),
      method: pick(METHODS),
      path: pick(PATHS),
      query: pick(QUERIES),
      protocol: pick(['HTTP/1.1', 'HTTP/1.1', 'HTTP/2.0', 'HTTP/1.0']),
      ua: pick(UAS),
      referer: pick(REFERERS),
      host: pick(HOSTS),
      client: `203.0.113.${Math.floor(r() * 250) + 1}`,
      proxy: `10.0.${Math.floor(r() * 9)}.${Math.floor(r() * 250) + 1}`,
    };
  });
}

/** The request target as sent: path and query. */
export const target = (t: Truth): string => (t.query === '' ? t.path : `${t.path}?${t.query}`);

/** The record a parser must produce; `over` sets what a layout does not carry (null) or writes otherwise. */
export function expected(t: Truth, latencyMs: number | null, over: Partial<LogRecord> = {}): LogRecord {
  return {
    timestamp: t.us / 1000,
    level: levelFromStatus(t.status),
    statusCode: t.status,
    method: t.method,
    endpoint: t.path,
    protocol: t.protocol,
    message: `${t.method} ${target(t)} ${t.protocol}`,
    latencyMs,
    clientIp: t.client,
    bytesSent: t.bytes,
    userAgent: t.ua,
    referer: t.referer,
    host: t.host,
    layout: null, // stamped by the format chain, not by a format
    ...over,
  };
}

// --- nginx: the log_format text with each variable as nginx writes it ------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The server's wall clock at `offsetMin` east of UTC. */
function wall(us: number, offsetMin: number): Date {
  return new Date(Math.floor(us / 1000) + offsetMin * 60_000);
}
function zone(offsetMin: number, colon: boolean): string {
  const a = Math.abs(offsetMin);
  return `${offsetMin < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}${colon ? ':' : ''}${pad(a % 60)}`;
}
/** $time_local: `10/Mar/2024:11:30:00 +0530`. */
export function timeLocal(us: number, offsetMin: number): string {
  const d = wall(us, offsetMin);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${zone(offsetMin, false)}`;
}
/** $time_iso8601: `2024-03-10T11:30:00+05:30`. */
export function timeIso(us: number, offsetMin: number): string {
  const d = wall(us, offsetMin);
  return `${d.toISOString().substring(0, 19)}${zone(offsetMin, true)}`;
}
/** $request_time / $upstream_response_time: seconds with milliseconds. */
export const seconds3 = (ns: number): string => (Math.round(ns / 1e6) / 1000).toFixed(3);
/** What a seconds3 value is in ms. */
export const ms3 = (ns: number): number => Math.round(ns / 1e6);

/** Replaces each `$name` of an nginx log_format with its value, escaped as `escape=json` does (`"`, `\`, control characters). */
export function renderNginx(format: string, vars: Record<string, string>): string {
  return format.replace(/\$([a-z_0-9]+)/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`no value for $${name}`);
    return JSON.stringify(v).slice(1, -1);
  });
}

/** nginx's values for a record (a missing header is `` under escape=json, as nginx writes it). */
export function nginxVars(t: Truth, offsetMin: number): Record<string, string> {
  return {
    time_local: timeLocal(t.us, offsetMin),
    time_iso8601: timeIso(t.us, offsetMin),
    remote_addr: t.client,
    remote_user: '',
    request: `${t.method} ${target(t)} ${t.protocol}`,
    request_method: t.method,
    request_uri: target(t),
    uri: t.path,
    args: t.query,
    server_protocol: t.protocol,
    status: String(t.status),
    body_bytes_sent: String(t.bytes),
    bytes_sent: String(t.bytes),
    request_length: '512',
    request_time: seconds3(t.durationNs),
    upstream_response_time: t.upstreamNs.map(seconds3).join(', '),
    http_referer: t.referer ?? '',
    http_user_agent: t.ua,
    host: t.host,
    proxy_protocol_addr: '',
    proxy_add_x_forwarded_for: `${t.client}, ${t.proxy}`,
    req_id: 'f1e2d3c4b5a69788',
  };
}

/** The brief's json_combined (a widespread `escape=json` layout). */
export const NGINX_JSON_COMBINED =
  '{"time_local":"$time_local","remote_addr":"$remote_addr","remote_user":"$remote_user","request":"$request","status": "$status","body_bytes_sent":"$body_bytes_sent","request_time":"$request_time","http_referrer":"$http_referer","http_user_agent":"$http_user_agent"}';

/** $time_iso8601, the request in parts, and upstream times only. */
export const NGINX_JSON_ISO_UPSTREAM =
  '{"time_iso8601":"$time_iso8601","remote_addr":"$remote_addr","request_method":"$request_method","request_uri":"$request_uri","server_protocol":"$server_protocol","status":$status,"body_bytes_sent":$body_bytes_sent,"upstream_response_time":"$upstream_response_time","http_user_agent":"$http_user_agent","host":"$host"}';

/** ingress-nginx's documented `log-format-upstream` JSON (docs: user-guide/nginx-configuration/log-format). */
export const INGRESS_NGINX_JSON =
  '{"time": "$time_iso8601", "remote_addr": "$proxy_protocol_addr", "x_forwarded_for": "$proxy_add_x_forwarded_for", "request_id": "$req_id", "remote_user": "$remote_user", "bytes_sent": $bytes_sent, "request_time": $request_time, "status": $status, "vhost": "$host", "request_proto": "$server_protocol", "path": "$uri", "request_query": "$args", "request_length": $request_length, "duration": $request_time,"method": "$request_method", "http_referrer": "$http_referer", "http_user_agent": "$http_user_agent" }';

// --- Caddy and Traefik: their documented records -----------------------------------------------------

/** Caddy's default access log (http.log.access): `ts` float seconds, `duration` float seconds. */
export function caddyLine(t: Truth): string {
  return JSON.stringify({
    level: t.status >= 500 ? 'error' : 'info',
    ts: t.us / 1e6,
    logger: 'http.log.access.log0',
    msg: 'handled request',
    request: {
      remote_ip: t.client,
      remote_port: '41342',
      client_ip: t.client,
      proto: t.protocol,
      method: t.method,
      host: `${t.host}:8443`,
      uri: target(t),
      headers: { 'User-Agent': [t.ua], Accept: ['*/*'], ...(t.referer === null ? {} : { Referer: [t.referer] }) },
      tls: { resumed: false, version: 772, cipher_suite: 4865, proto: 'h2', server_name: t.host },
    },
    bytes_read: 0,
    user_id: '',
    duration: t.durationNs / 1e9,
    size: t.bytes,
    status: t.status,
    resp_headers: { Server: ['Caddy'], 'Content-Type': ['text/html; charset=utf-8'] },
  });
}

/** Traefik's JSON access log: `Duration` in ns, `StartUTC` to the ns, the user agent as `request_User-Agent`. */
export function traefikLine(t: Truth): string {
  const startUtc = `${new Date(Math.floor(t.us / 1000)).toISOString().substring(0, 19)}.${pad(t.us % 1_000_000, 6)}417Z`;
  return JSON.stringify({
    ClientAddr: `${t.client}:54321`,
    ClientHost: t.client,
    ClientPort: '54321',
    ClientUsername: '-',
    DownstreamContentSize: t.bytes,
    DownstreamStatus: t.status,
    Duration: t.durationNs,
    OriginContentSize: t.bytes,
    OriginDuration: Math.round(t.durationNs * 0.9),
    OriginStatus: t.status,
    Overhead: Math.round(t.durationNs * 0.1),
    RequestAddr: t.host,
    RequestContentSize: 0,
    RequestCount: 7,
    RequestHost: t.host,
    RequestMethod: t.method,
    RequestPath: target(t),
    RequestPort: '-',
    RequestProtocol: t.protocol,
    RequestScheme: 'https',
    RetryAttempts: 0,
    RouterName: 'web@docker',
    ServiceAddr: '10.0.0.5:80',
    ServiceName: 'web@docker',
    ServiceURL: { Scheme: 'http', Host: '10.0.0.5:80' },
    StartLocal: `${startUtc.substring(0, 29)}+00:00`,
    StartUTC: startUtc,
    entryPointName: 'websecure',
    level: 'info',
    msg: '',
    'request_User-Agent': t.ua,
    ...(t.referer === null ? {} : { 'request_Referer': t.referer }),
    time: `${new Date(Math.floor(t.us / 1000) + 1000).toISOString().substring(0, 19)}Z`,
  });
}

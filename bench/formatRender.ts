/**
 * Writes a request the way each server does, by substituting the variables of the format's definition
 * (bench/formatDefinitions.ts) with the values the server would print, escaped as the server escapes
 * them. Deliberately shares no code with src/parse: the corpus must not inherit the parser's mistakes.
 */
import type { FormatDefinition } from './formatDefinitions.js';
import type { Request, UpstreamTry } from './formatRequests.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const NGINX_VARIABLE = /\$(?:\{(\w+)\}|(\w+))/g;
const APACHE_DIRECTIVE = /%([<>]?)(?:\{([^}]*)\})?([a-zA-Z%])/g;
const GO_VERB = /%[sdv]/g;

/** The format string of a definition: nginx's quoted parts concatenated, Apache's last quoted string unescaped. */
export function formatString(def: FormatDefinition): string {
  if (def.server === 'nginx') return [...def.directive.matchAll(/'([^']*)'/g)].map((m) => m[1]!).join('');
  if (def.server === 'apache') {
    const quoted = [...def.directive.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
    return quoted[quoted.length - 1]!.replace(/\\(.)/g, '$1');
  }
  return def.directive;
}

/** The variables a definition logs: nginx names without `$`, Apache directives as written (`%>s`, `%{User-Agent}i`), Traefik's arguments. */
export function definitionFields(def: FormatDefinition): Set<string> {
  const format = formatString(def);
  if (def.server === 'nginx') return new Set([...format.matchAll(NGINX_VARIABLE)].map((m) => m[1] ?? m[2]!));
  if (def.server === 'apache') return new Set([...format.matchAll(APACHE_DIRECTIVE)].map((m) => m[0]));
  return new Set(def.args);
}

export function renderLine(def: FormatDefinition, req: Request): string {
  const format = formatString(def);
  if (def.server === 'nginx') {
    const vars = nginxVariables(req);
    return format.replace(NGINX_VARIABLE, (_m, braced: string | undefined, plain: string | undefined) => {
      const v = vars[(braced ?? plain)!];
      if (v === undefined) throw new Error(`${def.name}: no value for $${braced ?? plain}`);
      return v;
    });
  }
  if (def.server === 'apache') {
    return format.replace(APACHE_DIRECTIVE, (whole) => {
      const v = apacheDirective(whole, req);
      if (v === undefined) throw new Error(`${def.name}: no value for ${whole}`);
      return v;
    });
  }
  const values = traefikValues(req);
  let k = 0;
  return format.replace(GO_VERB, () => {
    const name = def.args![k++]!;
    const v = values[name];
    if (v === undefined) throw new Error(`${def.name}: no value for ${name}`);
    return v;
  });
}

/** `08/Mar/2026:06:00:00 +0530`: the wall time at the given offset. */
export function timeLocal(epochSec: number, tz: string): string {
  const sign = tz.startsWith('-') ? -1 : 1;
  const offsetSec = sign * (Number(tz.substring(1, 3)) * 3600 + Number(tz.substring(3, 5)) * 60);
  const d = new Date((epochSec + offsetSec) * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${tz}`;
}

const requestLine = (req: Request): string => `${req.method} ${req.path}${req.query === null ? '' : `?${req.query}`} ${req.protocol}`;

/** nginx times: seconds with exactly three decimals (`%T.%03M`), from whole milliseconds. */
const seconds = (ms: number): string => `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;

/** nginx's default escaping (ngx_http_log_escape): `"`, `\`, bytes below 0x20 and above 0x7E as `\xXX`. */
function nginxEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += b === 0x22 || b === 0x5c || b < 0x20 || b > 0x7e ? `\\x${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  return out;
}

/** Apache's ap_escape_logitem: `\"`, `\\`, and non-printable bytes (every byte over 0x7E) as `\xhh`. */
function apacheEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else out += b < 0x20 || b > 0x7e ? `\\x${b.toString(16).padStart(2, '0')}` : String.fromCharCode(b);
  }
  return out;
}

/**
 * The values nginx prints. A variable that is not found prints `-` ($remote_user without auth, a header
 * not sent, upstream variables of a request that reached no upstream); an empty one prints nothing
 * (ingress-nginx sets $proxy_alternative_upstream_name to "", so its logs show `[]`).
 */
function nginxVariables(req: Request): Record<string, string> {
  const ms = Math.floor(req.durationUs / 1000);
  const upstream = (value: (t: UpstreamTry) => string): string =>
    req.upstream === null ? '-' : req.upstream.map((group) => group.map(value).join(', ')).join(' : ');
  return {
    remote_addr: req.client,
    remote_user: req.user ?? '-',
    time_local: timeLocal(req.timeSec, req.tz),
    request: nginxEscape(requestLine(req)),
    status: String(req.status),
    body_bytes_sent: String(req.bodyBytes),
    bytes_sent: String(req.bodyBytes + req.headerBytes),
    request_length: String(req.requestBytes),
    request_time: seconds(ms),
    http_referer: req.referer === null ? '-' : nginxEscape(req.referer),
    http_user_agent: req.userAgent === null ? '-' : nginxEscape(req.userAgent),
    http_x_forwarded_for: req.forwardedFor ?? '-',
    host: req.host,
    server_name: req.host,
    pipe: req.pipelined ? 'p' : '.',
    upstream_addr: upstream((t) => t.addr),
    upstream_status: upstream((t) => String(t.status)),
    upstream_connect_time: upstream((t) => seconds(t.connectMs)),
    upstream_header_time: upstream((t) => seconds(t.headerMs)),
    upstream_response_time: upstream((t) => seconds(t.responseMs)),
    upstream_response_length: upstream((t) => String(t.length)),
    upstream_cache_status: req.cacheStatus ?? '-',
    proxy_upstream_name: `default-web-${req.port === 443 ? 8443 : 8080}`,
    proxy_alternative_upstream_name: '',
    req_id: req.reqId,
  };
}

/** What Apache prints for one `%…` directive (mod_log_config, mod_logio, mod_ssl), or undefined for one not modelled. */
function apacheDirective(directive: string, req: Request): string | undefined {
  switch (directive) {
    case '%h': return req.client;
    case '%l': return '-';
    case '%u': return req.user ?? '-';
    case '%t': return `[${timeLocal(req.timeSec, req.tz)}]`;
    case '%r': return apacheEscape(requestLine(req));
    case '%>s': return String(req.status);
    case '%b': return req.bodyBytes === 0 ? '-' : String(req.bodyBytes);
    case '%{Referer}i': return req.referer === null ? '-' : apacheEscape(req.referer);
    case '%{User-Agent}i': return req.userAgent === null ? '-' : apacheEscape(req.userAgent);
    case '%D': return String(req.durationUs);
    case '%T': return String(Math.floor(req.durationUs / 1e6));
    case '%{ms}T': return String(Math.floor(req.durationUs / 1000));
    case '%I': return String(req.requestBytes);
    case '%O': return String(req.bodyBytes + req.headerBytes);
    case '%v': return req.host;
    case '%p': return String(req.port);
    case '%{SSL_PROTOCOL}x': return 'TLSv1.3';
    case '%{SSL_CIPHER}x': return 'TLS_AES_256_GCM_SHA384';
    case '%%': return '%';
    default: return undefined;
  }
}

/** Traefik's CommonLogFormatter arguments: quoted ones are wrapped in `"` with nothing escaped; missing ones `-` or `"-"`. */
function traefikValues(req: Request): Record<string, string> {
  const quoted = (s: string | null): string => `"${s ?? '-'}"`;
  return {
    ClientHost: req.client,
    ClientUsername: req.user ?? '-',
    StartUTC: timeLocal(req.timeSec, '+0000'),
    RequestMethod: req.method,
    RequestPath: req.query === null ? req.path : `${req.path}?${req.query}`,
    RequestProtocol: req.protocol,
    OriginStatus: String(req.status),
    OriginContentSize: String(req.bodyBytes),
    request_Referer: quoted(req.referer),
    'request_User-Agent': quoted(req.userAgent),
    RequestCount: String(req.seq),
    RouterName: quoted(`websecure-${req.host.split('.')[0]}@docker`),
    ServiceURL: quoted(`http://10.0.1.${(req.seq % 20) + 2}:8080`),
    Duration: String(Math.floor(req.durationUs / 1000)),
  };
}

import { apacheLayoutItems } from './apacheLogFormat.js';
import { ApacheErrorFormat } from './apacheError.js';
import { buildLayout, FieldKind, type LayoutItem, type LayoutOptions } from './layout.js';
import { LayoutFormat } from './layoutFormat.js';
import type { LineFormat } from './lineFormat.js';
import { NginxErrorFormat } from './nginxError.js';
import { nginxLayoutItems } from './nginxLogFormat.js';
import type { Zone } from './zone.js';

export interface Preset {
  name: string;
  description: string;
  /** The layout as its server's configuration writes it (nginx `log_format`, Apache `LogFormat`), or how it is fixed. */
  definition: string;
  /** One line in this layout (documentation, and a test that the preset reads it and detection picks it). */
  example: string;
  /** Fresh instance: a format keeps per-line scratch state, so parsers do not share them. `zone`: for timestamps without one (default UTC). */
  /**
   * `strict` (default): the reading auto-detection needs, where a value that only another layout's
   * server writes rejects the line (nginx's three-decimal times). A preset asked for by name reads
   * leniently: the user said what the lines are, so `0.1` from an nginx-like producer is still a time.
   */
  create(zone?: Zone, strict?: boolean): LineFormat;
  /**
   * A catch-all that ignores what follows the fields it knows. Tried last, never the detected primary
   * while another preset matches, and a job whose lines it reads is told (fields may be missing).
   */
  fallbackOnly?: boolean;
  /** Presets that read the same lines and differ only in the unit of the request time: the values choose one (detect.ts). */
  unitGroup?: string;
  /** With unitGroup: what one logged unit is worth in ms (%D 0.001, %{ms}T 1, %T 1000). */
  latencyResolutionMs?: number;
}

const NGINX_COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
const NGINX_MAIN = `${NGINX_COMBINED} "$http_x_forwarded_for"`;
const APACHE_COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"';
const APACHE_COMMON = '%h %l %u %t "%r" %>s %b';

/** The example request every example line shows, as combined writes it. */
const EX_COMBINED = '203.0.113.7 - - [06/Dec/2026:10:15:32 +0100] "GET /api/orders/8812?page=2 HTTP/1.1" 200 5316 "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"';
const EX_COMMON = '203.0.113.7 - - [06/Dec/2026:10:15:32 +0100] "GET /api/orders/8812?page=2 HTTP/1.1" 200 5316';

/**
 * Strict readings for nginx presets: nginx writes every time variable with exactly three decimals, an
 * X-Forwarded-For value is a list of addresses, and $pipe is `p` or `.`. A preset that accepted `21` as $request_time or
 * `"0.318"` as X-Forwarded-For would "match" another layout's lines and read them wrong.
 */
function strictNginx(items: LayoutItem[]): LayoutItem[] {
  return items.map((item) => {
    if (!('field' in item)) return item;
    const f = item.field;
    if (f.kind === FieldKind.DurationSeconds) return { field: { ...f, kind: FieldKind.NginxSeconds } };
    if (f.label === '$http_x_forwarded_for' && f.kind === FieldKind.Ignore) return { field: { ...f, kind: FieldKind.ForwardedFor } };
    if (f.label === '$pipe') return { field: { ...f, kind: FieldKind.Pipe } };
    return item;
  });
}

interface LayoutPresetSpec {
  name: string;
  description: string;
  /** The required part of the layout. */
  base: string;
  /** An optional ending that lines may or may not carry. */
  tail?: string;
  example: string;
  opts?: LayoutOptions;
  unitGroup?: string;
  latencyResolutionMs?: number;
  /** When the official definition differs from what the preset reads (a more lenient base). */
  definition?: string;
}

function layoutPreset(items: (format: string, strict: boolean) => LayoutItem[], spec: LayoutPresetSpec, fallbackOnly = false): Preset {
  const { name, base, tail, opts = {} } = spec;
  return {
    name,
    description: spec.description,
    definition: spec.definition ?? (tail === undefined ? base : `${base}[${tail}]`),
    example: spec.example,
    ...(fallbackOnly ? { fallbackOnly } : {}),
    ...(spec.unitGroup !== undefined ? { unitGroup: spec.unitGroup } : {}),
    ...(spec.latencyResolutionMs !== undefined ? { latencyResolutionMs: spec.latencyResolutionMs } : {}),
    create(zone, strict = true) {
      const head = items(base, strict);
      const all = tail === undefined ? head : [...head, ...items(tail, strict)];
      return new LayoutFormat(buildLayout(name, all, tail === undefined ? opts : { ...opts, optionalFrom: head.length }), zone);
    },
  };
}

const nginx = (spec: LayoutPresetSpec): Preset => layoutPreset((f, strict) => (strict ? strictNginx(nginxLayoutItems(f)) : nginxLayoutItems(f)), spec);
const apache = (spec: LayoutPresetSpec, fallbackOnly = false): Preset => layoutPreset(apacheLayoutItems, spec, fallbackOnly);

/**
 * Traefik writes the user agent unescaped (Go's %s inside quotes), so a quote inside it is common;
 * its request counter, a number, is what tells the closing quote apart.
 */
const traefik = (spec: LayoutPresetSpec): Preset =>
  layoutPreset(
    (f) => apacheLayoutItems(f).map((item) => ('field' in item && item.field.label === '%{requests}e' ? { field: { ...item.field, kind: FieldKind.IgnoreNumber } } : item)),
    spec,
  );

/**
 * All presets. Every preset is strict: it explains the whole line or rejects it (only the two
 * catch-alls at the end ignore appended fields). Auto-detection (detect.ts) ranks them by the sample
 * lines they read; this order breaks ties between presets that read the same lines into the same
 * records (nginx_combined before apache_combined, a base layout before its optional-tail variant,
 * apache_vhost_combined before nginx_vhost_combined: the stock vhost_combined is Apache's, and an nginx
 * file shows itself by its trailing "$http_x_forwarded_for"). Presets that read the same lines into
 * different records (the integer after combined: %D, %{ms}T or %T) are told apart by their values.
 */
export const PRESETS: readonly Preset[] = [
  nginx({
    name: 'nginx_upstreaminfo',
    description: 'ingress-nginx default (log-format-upstream): combined + request length and time, upstream name, address, length, time, status, request id',
    base: `${NGINX_COMBINED} $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`,
    example: `${EX_COMBINED} 512 0.052 [default-web-80] [] 10.244.0.12:8080 5316 0.051 200 4c5a4b1f0e8e3f2d9a7b6c5d4e3f2a1b`,
  }),
  nginx({
    name: 'nginx_main_ext',
    description: 'NGINX Amplify main_ext: main + "$host" sn="$server_name" rt=$request_time and upstream address, status, time, length, cache status',
    base: `${NGINX_MAIN} "$host" sn="$server_name" rt=$request_time ua="$upstream_addr" us="$upstream_status" ut="$upstream_response_time" ul="$upstream_response_length" cs=$upstream_cache_status`,
    example: `${EX_COMBINED} "-" "example.com" sn="example.com" rt=0.052 ua="10.0.0.12:8080" us="200" ut="0.051" ul="5316" cs=-`,
  }),
  nginx({
    name: 'nginx_upstream_time',
    description: 'NGINX docs upstream_time: combined + rt=$request_time uct="…" uht="…" urt="$upstream_response_time" (no space before rt=, as the docs define it)',
    base: `${NGINX_COMBINED}rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time"`,
    example: `${EX_COMBINED}rt=0.052 uct="0.001" uht="0.050" urt="0.051"`,
  }),
  nginx({
    name: 'nginx_upstream_time_spaced',
    description: 'nginx_upstream_time with a space before rt= (as most copies of it write it)',
    base: `${NGINX_COMBINED} rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time"`,
    example: `${EX_COMBINED} rt=0.052 uct="0.001" uht="0.050" urt="0.051"`,
  }),
  nginx({
    name: 'nginx_timed_combined',
    description: 'timed_combined: combined + $request_time $upstream_response_time $pipe',
    base: `${NGINX_COMBINED} $request_time $upstream_response_time $pipe`,
    example: `${EX_COMBINED} 0.052 0.051 .`,
  }),
  nginx({
    name: 'nginx_combined_upstream_addr',
    description: 'combined + $request_time $upstream_response_time $upstream_addr',
    base: `${NGINX_COMBINED} $request_time $upstream_response_time $upstream_addr`,
    example: `${EX_COMBINED} 0.052 0.051 10.0.0.12:8080`,
  }),
  nginx({
    name: 'nginx_main_timed',
    description: 'main + $request_time, optionally followed by $upstream_response_time',
    base: `${NGINX_MAIN} $request_time`,
    tail: ' $upstream_response_time',
    example: `${EX_COMBINED} "-" 0.052 0.051`,
  }),
  nginx({
    name: 'nginx_combined_timed',
    description: 'combined + $request_time, optionally followed by $upstream_response_time',
    base: `${NGINX_COMBINED} $request_time`,
    tail: ' $upstream_response_time',
    example: `${EX_COMBINED} 0.052 0.051`,
  }),
  nginx({
    name: 'nginx_combined_timed_quoted',
    description: 'combined + $request_time "$upstream_response_time"',
    base: `${NGINX_COMBINED} $request_time "$upstream_response_time"`,
    example: `${EX_COMBINED} 0.052 "0.051"`,
  }),
  nginx({
    name: 'nginx_combined_upstream_quoted',
    description: 'combined + "$upstream_response_time" (latency from the upstream: the format has no $request_time)',
    base: `${NGINX_COMBINED} "$upstream_response_time"`,
    example: `${EX_COMBINED} "0.051"`,
  }),
  nginx({ name: 'nginx_combined', description: 'nginx built-in combined format', base: NGINX_COMBINED, example: EX_COMBINED }),
  nginx({
    name: 'nginx_main',
    description: 'nginx.conf stock "main": combined + "$http_x_forwarded_for" (lines without it are accepted too)',
    base: NGINX_COMBINED,
    tail: ' "$http_x_forwarded_for"',
    example: `${EX_COMBINED} "198.51.100.4, 10.0.0.2"`,
  }),
  apache({ name: 'apache_combined', description: 'Apache combined', base: APACHE_COMBINED, example: EX_COMBINED.replace(' 5316 ', ' - ') }),
  apache({ name: 'apache_common', description: 'Apache common (CLF)', base: APACHE_COMMON, example: EX_COMMON }),
  apache({
    name: 'apache_vhost_combined',
    description: 'Apache vhost_combined (Debian, stock httpd.conf): %v:%p (or %v) then combined with %O; optionally followed by %D',
    // %v reads `host:port` too (the port is dropped), so one layout serves %v:%p and %v.
    base: '%v %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
    tail: ' %D',
    definition: '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"[ %D]',
    example: `example.com:443 ${EX_COMBINED}`,
  }),
  nginx({
    name: 'nginx_vhost_combined',
    description: '$host + nginx combined, optionally followed by "$http_x_forwarded_for"',
    base: `$host ${NGINX_COMBINED}`,
    tail: ' "$http_x_forwarded_for"',
    example: `example.com ${EX_COMBINED} "198.51.100.4"`,
  }),
  apache({ name: 'apache_combined_us', unitGroup: 'apache_combined_time', latencyResolutionMs: 0.001, description: 'Apache combined + %D (request time in microseconds)', base: `${APACHE_COMBINED} %D`, example: `${EX_COMBINED} 52310` }),
  apache({ name: 'apache_combined_ms', unitGroup: 'apache_combined_time', latencyResolutionMs: 1, description: 'Apache combined + %{ms}T (request time in milliseconds)', base: `${APACHE_COMBINED} %{ms}T`, example: `${EX_COMBINED} 52` }),
  apache({ name: 'apache_combined_s', unitGroup: 'apache_combined_time', latencyResolutionMs: 1000, description: 'Apache combined + %T (request time in whole seconds)', base: `${APACHE_COMBINED} %T`, example: `${EX_COMBINED} 0` }),
  apache({
    name: 'apache_combinedio',
    description: 'Apache combinedio (stock httpd.conf, mod_logio): combined + %I %O (bytes received and sent, headers included)',
    base: `${APACHE_COMBINED} %I %O`,
    example: `${EX_COMBINED} 734 5612`,
  }),
  apache({
    name: 'apache_ssl_request',
    description: 'Apache mod_ssl ssl_request_log',
    base: '%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b',
    example: '[06/Dec/2026:10:15:32 +0100] 203.0.113.7 TLSv1.3 TLS_AES_256_GCM_SHA384 "GET /api/orders/8812?page=2 HTTP/1.1" 5316',
  }),
  traefik({
    name: 'traefik_clf',
    description: 'Traefik common log format: combined + requests served "router" "server URL" and the duration in ms',
    base: `${APACHE_COMBINED} %{requests}e "%{router}e" "%{server}e" %{ms}Tms`,
    example: `${EX_COMBINED} 1734 "api@docker" "http://10.0.0.12:8080" 52ms`,
  }),
  nginx({
    name: 'npmplus',
    description: 'NPMplus (Nginx Proxy Manager fork)',
    base: '[$time_local] $host $remote_addr $request_time "$request" $status $body_bytes_sent $bytes_sent $http_referer $http_user_agent',
    example: '[06/Dec/2026:10:15:32 +0100] example.com 203.0.113.7 0.052 "GET /api/orders/8812?page=2 HTTP/1.1" 200 5316 5612 - Mozilla/5.0',
  }),
  {
    name: 'nginx_error',
    description: 'nginx error log (multi-line records for FastCGI output)',
    definition: 'YYYY/MM/DD HH:MM:SS [level] pid#tid: *cid message[, client: …, server: …, request: "…", host: "…"]',
    example: '2026/12/06 10:15:32 [error] 1234#1234: *5678 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.7, server: example.com, request: "GET /api/orders/8812 HTTP/1.1", upstream: "http://10.0.0.12:8080/api/orders/8812", host: "example.com"',
    create: (zone) => new NginxErrorFormat(zone),
  },
  {
    name: 'apache_error',
    description: 'Apache error log, 2.2 and 2.4 layouts',
    definition: '[%{u}t] [%-m:%l] [pid %P:tid %T] [client %a] %M (2.4); [%t] [%l] [client %a] %M (2.2)',
    example: '[Sun Dec 06 10:15:32.123456 2026] [proxy:error] [pid 1234:tid 5678] [client 203.0.113.7:51234] AH00898: Error reading from remote server returned by /api/orders/8812',
    create: (zone) => new ApacheErrorFormat(zone),
  },
  apache(
    { name: 'combined_extra', description: 'combined followed by fields no preset explains, which are ignored; tried last', base: APACHE_COMBINED, example: `${EX_COMBINED} gzip=2.41 x`, opts: { trailing: 'ignore' } },
    true,
  ),
  apache(
    { name: 'common_extra', description: 'CLF followed by anything (ignored); the last resort, so referer and agent may be lost', base: APACHE_COMMON, example: `${EX_COMMON} [x] y`, opts: { trailing: 'ignore' } },
    true,
  ),
];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

import { apacheLayoutItems } from './apacheLogFormat.js';
import { ApacheErrorFormat } from './apacheError.js';
import { buildLayout, type LayoutItem, type LayoutOptions } from './layout.js';
import { LayoutFormat } from './layoutFormat.js';
import type { LineFormat } from './lineFormat.js';
import { NginxErrorFormat } from './nginxError.js';
import { nginxLayoutItems } from './nginxLogFormat.js';

export interface Preset {
  name: string;
  description: string;
  /** Fresh instance: a format keeps per-line scratch state, so parsers do not share them. */
  create(): LineFormat;
  /** A catch-all that is tried last and is never the detected primary format while another one matches. */
  fallbackOnly?: boolean;
}

const NGINX_COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
const APACHE_COMBINED = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"';

/** A layout preset; `tail` is an optional ending that lines may or may not carry. */
function layoutPreset(
  name: string,
  description: string,
  items: (format: string) => LayoutItem[],
  base: string,
  tail?: string,
  opts: LayoutOptions = {},
): Preset {
  return {
    name,
    description,
    create() {
      const head = items(base);
      const all = tail === undefined ? head : [...head, ...items(tail)];
      return new LayoutFormat(buildLayout(name, all, tail === undefined ? opts : { ...opts, optionalFrom: head.length }));
    },
  };
}

const nginx = (name: string, description: string, base: string, tail?: string): Preset =>
  layoutPreset(name, description, nginxLayoutItems, base, tail);
const apache = (name: string, description: string, base: string, tail?: string, opts?: LayoutOptions): Preset =>
  layoutPreset(name, description, apacheLayoutItems, base, tail, opts);

/**
 * All presets, in the order auto-detection breaks ties: a preset is listed before the presets whose
 * lines it would also accept with less information (apache_combined_us before nginx_combined_timed,
 * because an integer trailing field is far more often Apache's %D than an nginx $request_time, which
 * nginx always writes with a fraction), and a base layout before its optional-tail variant (so a
 * plain combined file reports nginx_combined, not nginx_main).
 */
export const PRESETS: readonly Preset[] = [
  nginx(
    'nginx_upstreaminfo',
    'ingress-nginx default: combined + $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id',
    `${NGINX_COMBINED} $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length $upstream_response_time $upstream_status $req_id`,
  ),
  apache('apache_combined_us', 'Apache combined + %D (request time in microseconds)', `${APACHE_COMBINED} %D`),
  apache('apache_combined_s', 'Apache combined + %T (request time in seconds)', `${APACHE_COMBINED} %T`),
  nginx(
    'nginx_combined_timed',
    'nginx combined + $request_time, optionally followed by $upstream_response_time',
    `${NGINX_COMBINED} $request_time`,
    ' $upstream_response_time',
  ),
  nginx('nginx_combined', 'nginx built-in combined format', NGINX_COMBINED),
  nginx('nginx_main', 'nginx.conf stock "main": combined + "$http_x_forwarded_for" (lines without it are accepted too)', NGINX_COMBINED, ' "$http_x_forwarded_for"'),
  apache('apache_combined', 'Apache combined: %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"', APACHE_COMBINED),
  apache('apache_common', 'Apache common (CLF): %h %l %u %t "%r" %>s %b', '%h %l %u %t "%r" %>s %b'),
  nginx('nginx_vhost_combined', '$host (or $host:$server_port) + nginx combined, optional "$http_x_forwarded_for"', `$host ${NGINX_COMBINED}`, ' "$http_x_forwarded_for"'),
  apache('apache_vhost_combined', 'Apache vhost_combined: %v:%p or %v, then combined; optionally followed by %D', `%v ${APACHE_COMBINED}`, ' %D'),
  apache('apache_ssl_request', 'Apache mod_ssl ssl_request_log: %t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b', '%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b'),
  nginx(
    'npmplus',
    'NPMplus (Nginx Proxy Manager fork): [$time_local] $host $remote_addr $request_time "$request" $status $body_bytes_sent $bytes_sent $http_referer $http_user_agent',
    '[$time_local] $host $remote_addr $request_time "$request" $status $body_bytes_sent $bytes_sent $http_referer $http_user_agent',
  ),
  { name: 'nginx_error', description: 'nginx error log (multi-line records for FastCGI output)', create: () => new NginxErrorFormat() },
  { name: 'apache_error', description: 'Apache error log, 2.2 and 2.4 layouts', create: () => new ApacheErrorFormat() },
  {
    ...apache('combined_extra', 'combined followed by extra fields that are ignored (e.g. $gzip_ratio); tried last in auto mode', APACHE_COMBINED, undefined, {
      trailing: 'ignore',
    }),
    fallbackOnly: true,
  },
  {
    ...apache('common_extra', 'CLF followed by anything (ignored); the last resort in auto mode, so referer and agent may be lost', '%h %l %u %t "%r" %>s %b', undefined, {
      trailing: 'ignore',
    }),
    fallbackOnly: true,
  },
];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}

/**
 * The access-log formats people run, each as its official definition: the nginx `log_format` or
 * Apache `LogFormat`/`CustomLog` directive exactly as the source writes it (whitespace between the
 * quoted parts of an nginx directive is not part of the format), or, for Traefik, the Go format
 * string and arguments of its CommonLogFormatter. bench/formatCorpus.ts renders lines from these
 * strings by substituting variables, so a reader can compare each one with its source.
 */

export type Server = 'nginx' | 'apache' | 'traefik';

export interface FormatDefinition {
  name: string;
  server: Server;
  directive: string;
  /** Where the definition comes from. */
  source: string;
  /** Traefik: the arguments of the Go format string, in order. */
  args?: readonly string[];
  /** The format name the service must report, where the issue names it (otherwise not asserted). */
  reportedAs?: string;
}

const NGINX_COMBINED = `log_format combined '$remote_addr - $remote_user [$time_local] '
                    '"$request" $status $body_bytes_sent '
                    '"$http_referer" "$http_user_agent"';`;

/** combined with `tail` appended to its format string, as users write it in their own log_format. */
const combinedPlus = (name: string, tail: string): string => `${NGINX_COMBINED.replace('log_format combined', `log_format ${name}`).slice(0, -1)}\n  '${tail}';`;

const NGINX_MAIN = `log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                  '$status $body_bytes_sent "$http_referer" '
                  '"$http_user_agent" "$http_x_forwarded_for"';`;

const APACHE_COMBINED = '%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"';

export const FORMAT_DEFINITIONS: readonly FormatDefinition[] = [
  { name: 'nginx_combined', server: 'nginx', directive: NGINX_COMBINED, source: 'nginx docs, ngx_http_log_module: the predefined combined format' },
  { name: 'nginx_main', server: 'nginx', directive: NGINX_MAIN, source: 'nginx.conf as shipped by nginx.org packages and the official Docker image' },
  { name: 'nginx_combined_rt', server: 'nginx', directive: combinedPlus('timed', ' $request_time'), source: 'combined + $request_time, the most common addition' },
  {
    name: 'nginx_combined_rt_urt', server: 'nginx', directive: combinedPlus('timed', ' $request_time $upstream_response_time'),
    source: 'combined + $request_time $upstream_response_time (GoAccess docs, many blog posts)',
  },
  {
    name: 'nginx_timed_combined', server: 'nginx', directive: `log_format timed_combined '$remote_addr - $remote_user [$time_local] '
    '"$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" '
    '$request_time $upstream_response_time $pipe';`,
    source: 'the classic timed_combined (nginx wiki, Splunk and Datadog examples)',
  },
  {
    name: 'nginx_combined_rt_urt_addr', server: 'nginx', directive: combinedPlus('upstream', ' $request_time $upstream_response_time $upstream_addr'),
    source: 'combined + timings + $upstream_addr (the issue: `… "UA" 0.319 0.318 10.0.0.12:8080`)',
  },
  {
    name: 'nginx_main_rt_urt', server: 'nginx', directive: `${NGINX_MAIN.slice(0, -1)}\n  ' $request_time $upstream_response_time';`,
    source: 'stock main + $request_time $upstream_response_time',
  },
  {
    name: 'nginx_combined_rt_quoted_urt', server: 'nginx', directive: combinedPlus('timed', ' $request_time "$upstream_response_time"'),
    source: 'combined + $request_time "$upstream_response_time" (issue 14, class 5)',
  },
  {
    name: 'nginx_combined_quoted_urt', server: 'nginx', directive: `log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                '$status $body_bytes_sent "$http_referer" '
                '"$http_user_agent" "$upstream_response_time"';`,
    source: 'combined + "$upstream_response_time" (seen in published nginx-proxy and client-certificate setups)',
  },
  {
    name: 'nginx_upstream_time', server: 'nginx', directive: `log_format upstream_time '$remote_addr - $remote_user [$time_local] '
                         '"$request" $status $body_bytes_sent '
                         '"$http_referer" "$http_user_agent"'
                         'rt=$request_time uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time"';`,
    source: 'NGINX docs, "Configuring Logging" (docs.nginx.com/nginx/admin-guide/monitoring/logging/): no space before rt=',
  },
  {
    name: 'nginx_amplify_main_ext', server: 'nginx', directive: `log_format  main_ext  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for" '
                      '"$host" sn="$server_name" '
                      'rt=$request_time '
                      'ua="$upstream_addr" us="$upstream_status" '
                      'ut="$upstream_response_time" ul="$upstream_response_length" '
                      'cs=$upstream_cache_status' ;`,
    source: 'NGINX Amplify docs, "Configuring NGINX for Amplify Metric Collection"',
  },
  {
    name: 'ingress_nginx_upstreaminfo', server: 'nginx', directive: `log_format upstreaminfo
    '$remote_addr - $remote_user [$time_local] "$request" '
    '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
    '$request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr '
    '$upstream_response_length $upstream_response_time $upstream_status $req_id';`,
    source: 'ingress-nginx docs, "Log format" (the default log-format-upstream)',
  },
  {
    name: 'npmplus', server: 'nginx',
    directive: `log_format proxy '[$time_local] $host $remote_addr $request_time "$request" $status $body_bytes_sent $bytes_sent $http_referer $http_user_agent';`,
    source: 'NPMplus (the definition in src/parse/presets.ts, checked against ../shared/data/crowdsec-hub)',
  },
  {
    name: 'nginx_vhost', server: 'nginx', directive: `log_format vhost '$host $remote_addr - $remote_user [$time_local] '
    '"$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent"';`,
    source: 'nginx-proxy (jwilder) nginx.tmpl',
  },
  { name: 'apache_common', server: 'apache', directive: 'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common', source: 'httpd.conf as shipped by Apache httpd 2.4' },
  { name: 'apache_combined', server: 'apache', directive: `LogFormat "${APACHE_COMBINED}" combined`, source: 'httpd.conf as shipped by Apache httpd 2.4' },
  { name: 'apache_combined_D', server: 'apache', directive: `LogFormat "${APACHE_COMBINED} %D" combined_time`, source: 'combined + %D (µs)' },
  { name: 'apache_combined_T', server: 'apache', directive: `LogFormat "${APACHE_COMBINED} %T" combined_time`, source: 'combined + %T (whole seconds)' },
  { name: 'apache_combined_msT', server: 'apache', directive: `LogFormat "${APACHE_COMBINED} %{ms}T" combined_time`, source: 'combined + %{ms}T (Apache 2.4.13+)' },
  { name: 'apache_combinedio', server: 'apache', directive: `LogFormat "${APACHE_COMBINED} %I %O" combinedio`, source: 'httpd.conf as shipped by Apache httpd 2.4 (mod_logio)' },
  {
    name: 'apache_vhost_combined', server: 'apache', reportedAs: 'apache_vhost_combined',
    directive: 'LogFormat "%v:%p %h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" vhost_combined',
    source: 'Debian/Ubuntu apache2.conf',
  },
  {
    name: 'apache_ssl_request', server: 'apache',
    directive: 'CustomLog "logs/ssl_request_log" "%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \\"%r\\" %b"',
    source: 'httpd-ssl.conf as shipped by Apache httpd 2.4 (mod_ssl)',
  },
  {
    name: 'traefik_clf', server: 'traefik',
    directive: '%s - %s [%s] "%s %s %s" %v %v %s %s %v %s %s %dms',
    args: [
      'ClientHost', 'ClientUsername', 'StartUTC', 'RequestMethod', 'RequestPath', 'RequestProtocol', 'OriginStatus',
      'OriginContentSize', 'request_Referer', 'request_User-Agent', 'RequestCount', 'RouterName', 'ServiceURL', 'Duration',
    ],
    source: 'Traefik pkg/middlewares/accesslog/logger_formatters.go, CommonLogFormatter (its Fprintf format and arguments; the default log format)',
  },
];

export function formatDefinition(name: string): FormatDefinition {
  const def = FORMAT_DEFINITIONS.find((d) => d.name === name);
  if (def === undefined) throw new Error(`no format definition '${name}'`);
  return def;
}

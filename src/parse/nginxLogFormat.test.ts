import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../domain/record.js';
import { createRecordParser, FormatError } from './index.js';
import { compileNginxLogFormat } from './nginxLogFormat.js';
import { dataLine, iso, needs, sharedData } from './testData.js';

function parseWith(logFormat: string, line: string): LogRecord {
  const result = createRecordParser({ format: 'nginx', logFormat }, []).parse(line);
  if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
  return result.record;
}

function rejectionWith(logFormat: string, line: string): { code: string; detail: string } {
  const result = createRecordParser({ format: 'nginx', logFormat }, []).parse(line);
  if (result.ok) throw new Error('expected a rejection');
  return { code: result.code, detail: result.detail };
}

const MAIN = `log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                  '$status $body_bytes_sent "$http_referer" '
                  '"$http_user_agent" "$http_x_forwarded_for"';`;

const UPSTREAMINFO = `log_format upstreaminfo
    '$remote_addr - $remote_user [$time_local] "$request" '
    '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
    '$request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr '
    '$upstream_response_length $upstream_response_time $upstream_status $req_id';`;

describe('compileNginxLogFormat', () => {
  it('compiles the stock nginx.conf `main` directive as pasted, over several quoted parts', needs(sharedData), () => {
    const rec = parseWith(MAIN, dataLine('vector-vrl/nginx_main.log', 4));
    expect(rec).toMatchObject({
      clientIp: '172.24.0.2',
      statusCode: 200,
      method: 'GET',
      endpoint: '/',
      protocol: 'HTTP/1.1',
      bytesSent: 615,
      referer: 'http://domain.tld/path',
      userAgent: 'curl/8.11.1',
      latencyMs: null,
    });
    expect(iso(rec.timestamp)).toBe('2025-01-03T16:42:58.000Z');
    expect(compileNginxLogFormat(MAIN).fields.map((f) => f.label)).toEqual([
      '$remote_addr', '$remote_user', '$time_local', '$request', '$status', '$body_bytes_sent', '$http_referer', '$http_user_agent', '$http_x_forwarded_for',
    ]);
  });

  it('compiles the ingress-nginx upstreaminfo format, with `-` upstream fields', needs(sharedData), () => {
    for (const n of [1, 2, 3, 4]) {
      const rec = parseWith(UPSTREAMINFO, dataLine('vector-vrl/nginx_ingress_upstreaminfo.log', n));
      expect(rec).toMatchObject({ clientIp: '0.0.0.0', statusCode: 200, endpoint: '/some/path', protocol: 'HTTP/2.0', bytesSent: 12312, latencyMs: 50 });
      expect(iso(rec.timestamp)).toBe('2023-03-18T15:00:00.000Z');
    }
  });

  it('reads upstream lists joined with ", " and " : " as one field', () => {
    const line = '10.0.0.9 - - [18/Mar/2023:15:00:00 +0000] "GET /x HTTP/1.1" 502 0 "-" "k6" 300 0.120 [svc-80] [] 10.0.0.1:80, 10.0.0.2:80 : 10.0.0.3:80 0, 0 : 12 0.010, 0.020 : 0.030 502, 502 : 200 abc123';
    expect(parseWith(UPSTREAMINFO, line)).toMatchObject({ statusCode: 502, latencyMs: 120, level: 'ERROR' });
  });

  it('uses $request_time for latency, and $upstream_response_time only without it', () => {
    const timed = "'$remote_addr [$time_local] \"$request\" $status $request_time $upstream_response_time'";
    expect(parseWith(timed, '1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 0.005 -').latencyMs).toBe(5);
    const upstreamOnly = "'$remote_addr [$time_local] \"$request\" $status $upstream_response_time'";
    expect(parseWith(upstreamOnly, '1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 -').latencyMs).toBeNull();
    expect(parseWith(upstreamOnly, '1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 0.002, 0.004').latencyMs).toBe(6);
  });

  it('consumes unknown variables without storing them, and accepts ${var}', () => {
    const fmt = '${remote_addr} [$time_local] "$request" $status $ssl_protocol/$ssl_cipher $body_bytes_sent ${pipe}';
    const rec = parseWith(fmt, '1.2.3.4 [10/Oct/2000:13:55:36 -0700] "GET /a?b HTTP/1.1" 200 TLSv1.3/TLS_AES_256_GCM_SHA384 512 p');
    expect(rec).toMatchObject({ clientIp: '1.2.3.4', statusCode: 200, endpoint: '/a', bytesSent: 512 });
  });

  it('rebuilds the message from $request_method $uri$is_args$args $server_protocol', () => {
    const fmt = `'$remote_addr - $remote_user [$time_local] "$request_method $uri$is_args$args $server_protocol" $status $body_bytes_sent'`;
    const rec = parseWith(fmt, '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "POST /api/v1?x=1 HTTP/2.0" 201 17');
    expect(rec).toMatchObject({ method: 'POST', endpoint: '/api/v1', protocol: 'HTTP/2.0', message: 'POST /api/v1?x=1 HTTP/2.0', statusCode: 201 });
  });

  it('reads $time_iso8601 and $msec', () => {
    const iso8601 = parseWith('$time_iso8601 $remote_addr "$request" $status', '2000-10-10T13:55:36-07:00 1.2.3.4 "GET / HTTP/1.1" 304');
    expect(iso(iso8601.timestamp)).toBe('2000-10-10T20:55:36.000Z');
    const msec = parseWith('$msec $remote_addr $status $request_time', '1286536308.123 1.2.3.4 200 0.250');
    expect(msec).toMatchObject({ timestamp: 1286536308123, latencyMs: 250 });
  });

  it('reads escape=json formats', () => {
    const fmt = `log_format j escape=json '{"time":"$time_iso8601","ip":"$remote_addr","req":"$request","status":"$status","ua":"$http_user_agent"}';`;
    const rec = parseWith(fmt, '{"time":"2024-01-02T03:04:05+00:00","ip":"1.2.3.4","req":"GET /x HTTP/1.1","status":"200","ua":"curl \\"7\\" \\u00e9"}');
    expect(rec).toMatchObject({ statusCode: 200, endpoint: '/x', userAgent: 'curl "7" é' });
  });

  it('takes X-Forwarded-For as the client when the format has no $remote_addr', () => {
    const rec = parseWith('$http_x_forwarded_for - [$time_local] "$request" $status', '203.0.113.9, 10.0.0.1 - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200');
    expect(rec.clientIp).toBe('203.0.113.9');
  });

  it('requires literal text between variables to match, and says where it does not', () => {
    expect(rejectionWith(MAIN, '1.2.3.4 - - 10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "-" "-"'))
      .toEqual({ code: 'layout_mismatch', detail: "custom: expected ' [' after $remote_user (column 11)" });
    expect(rejectionWith(MAIN, '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" abc 1 "-" "-" "-"'))
      .toEqual({ code: 'bad_status', detail: "$status 'abc' at column 59" });
  });

  it('throws FormatError naming the problem for a format that cannot work', () => {
    const cases: [string, RegExp][] = [
      ["log_format main '$remote_addr $status';", /no time field/],
      ["'$time_local$status'", /\$time_local and \$status have no text between them/],
      ["log_format main '$time_local $status", /never closed/],
      ['${time_local $status', /never closed/],
      ["log_format main escape=xml '$time_local';", /escape must be default, json or none/],
      ['   ', /empty/],
      ['[$time_local] $ $status', /invalid variable name/],
      ["log_format main '$time_local'; extra", /unexpected text after ';'/],
      ['log_format', /expected `log_format name/],
    ];
    for (const [input, message] of cases) {
      expect(() => compileNginxLogFormat(input), input).toThrow(FormatError);
      expect(() => compileNginxLogFormat(input), input).toThrow(message);
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../domain/record.js';
import { createRecordParser, listFormats } from './index.js';
import { newFailure } from './lineFormat.js';
import { PRESETS } from './presets.js';
import { dataLine, dataLines, iso, needs, sharedData } from './testData.js';

/** Parses one line with an explicitly chosen preset. */
function parseAs(format: string, line: string): LogRecord {
  const result = createRecordParser({ format }, []).parse(line);
  if (!result.ok) throw new Error(`${format}: ${result.reason}: ${result.detail}`);
  return result.record;
}

function detected(lines: string[]): string {
  return createRecordParser({ format: 'auto' }, lines).format;
}

const CHROME_54 = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/54.0.2840.59 Safari/537.36';

describe('presets on real lines', needs(sharedData), () => {
  it('lists every preset with a description', () => {
    const names = listFormats().map((f) => f.name);
    for (const required of ['nginx_combined', 'nginx_main', 'nginx_combined_timed', 'nginx_upstreaminfo', 'apache_common', 'apache_combined', 'apache_vhost_combined', 'apache_combined_us', 'apache_combined_s', 'nginx_error', 'apache_error']) {
      expect(names).toContain(required);
    }
    expect(PRESETS.every((p) => p.description.length > 10)).toBe(true);
  });

  it('nginx_combined (Filebeat nginx access.log)', () => {
    expect(parseAs('nginx_combined', dataLine('elastic-beats/nginx-access-access.log', 2))).toEqual({
      layout: 'nginx_combined',
      timestamp: Date.parse('2016-10-25T12:49:34Z'),
      level: 'WARN',
      statusCode: 404,
      method: 'GET',
      endpoint: '/favicon.ico',
      protocol: 'HTTP/1.1',
      message: 'GET /favicon.ico HTTP/1.1',
      latencyMs: null,
      clientIp: '77.179.66.156',
      bytesSent: 571,
      userAgent: CHROME_54,
      referer: 'http://localhost:8080/',
      host: null,
    });
    expect(detected(dataLines('elastic-beats/nginx-access-access.log').slice(0, 12))).toBe('nginx_combined');
  });

  it('nginx_main (fail2ban nginx-bad-request: CONNECT and remote_user)', () => {
    expect(parseAs('nginx_main', dataLine('fail2ban/nginx-bad-request.log', 7))).toEqual({
      layout: 'nginx_main',
      timestamp: Date.parse('2015-01-20T00:17:07Z'),
      level: 'WARN',
      statusCode: 400,
      method: 'CONNECT',
      endpoint: '123.123.123.123',
      protocol: 'HTTP/1.1',
      message: 'CONNECT 123.123.123.123 HTTP/1.1',
      latencyMs: null,
      clientIp: '7.8.9.10',
      bytesSent: 162,
      userAgent: null,
      referer: null,
      host: null,
    });
    expect(detected(dataLines('vector-vrl/nginx_main.log'))).toBe('nginx_main');
  });

  it('nginx_combined_timed: $request_time, with or without $upstream_response_time', () => {
    const base = '203.0.113.7 - - [12/Mar/2024:08:15:02 +0000] "GET /api/orders/42?x=1 HTTP/1.1" 200 1834 "-" "okhttp/4.12.0"';
    expect(parseAs('nginx_combined_timed', `${base} 0.042`)).toMatchObject({ latencyMs: 42, endpoint: '/api/orders/42', bytesSent: 1834, userAgent: 'okhttp/4.12.0' });
    expect(parseAs('nginx_combined_timed', `${base} 0.042 0.040`).latencyMs).toBe(42);
    expect(parseAs('nginx_combined_timed', `${base} 1.250 -`).latencyMs).toBe(1250);
    expect(detected([`${base} 0.042`, `${base} 0.013 0.012, 0.001`])).toBe('nginx_combined_timed');
  });

  it('nginx_upstreaminfo (ingress-nginx)', () => {
    expect(parseAs('nginx_upstreaminfo', dataLine('vector-vrl/nginx_ingress_upstreaminfo.log', 1))).toEqual({
      layout: 'nginx_upstreaminfo',
      timestamp: Date.parse('2023-03-18T15:00:00Z'),
      level: 'INFO',
      statusCode: 200,
      method: 'GET',
      endpoint: '/some/path',
      protocol: 'HTTP/2.0',
      message: 'GET /some/path HTTP/2.0',
      latencyMs: 50,
      clientIp: '0.0.0.0',
      bytesSent: 12312,
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/111.0.0.0 Safari/537.36',
      referer: 'https://10.0.0.1/some/referer',
      host: null,
    });
    expect(detected(dataLines('vector-vrl/nginx_ingress_upstreaminfo.log'))).toBe('nginx_upstreaminfo');
  });

  it('apache_common (macOS httpd 2.4.23, request `-` with status 408)', () => {
    expect(parseAs('apache_common', dataLine('elastic-beats/apache-access-darwin-2.4.23.log', 3))).toEqual({
      layout: 'apache_common',
      timestamp: Date.parse('2016-12-26T14:16:48Z'),
      level: 'WARN',
      statusCode: 408,
      method: null,
      endpoint: null,
      protocol: null,
      message: '-',
      latencyMs: null,
      clientIp: '::1',
      bytesSent: 0, // %b writes `-` for no body
      userAgent: null,
      referer: null,
      host: null,
    });
    expect(detected(dataLines('elastic-beats/apache-access-darwin-2.4.23.log'))).toBe('apache_common');
  });

  it('apache_combined (semicomplete.com and the logparser demo log, IPv6 client)', () => {
    expect(parseAs('apache_combined', dataLine('elastic-examples/apache_logs', 1))).toEqual({
      layout: 'apache_combined',
      timestamp: Date.parse('2015-05-17T10:05:03Z'),
      level: 'INFO',
      statusCode: 200,
      method: 'GET',
      endpoint: '/presentations/logstash-monitorama-2013/images/kibana-search.png',
      protocol: 'HTTP/1.1',
      message: 'GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1',
      latencyMs: null,
      clientIp: '83.149.9.216',
      bytesSent: 203023,
      userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36',
      referer: 'http://semicomplete.com/presentations/logstash-monitorama-2013/',
      host: null,
    });
    const v6 = parseAs('apache_combined', dataLine('nielsbasjes-logparser/hackers-access.log', 2578));
    expect(v6).toMatchObject({ clientIp: '2001:41d0:8:f69::1', endpoint: '/join_form', bytesSent: 12191, referer: 'http://niels.basjes.nl/' });
    expect(iso(v6.timestamp)).toBe('2015-10-29T05:47:37.000Z');
    // 669 lines carry `-` bytes, which nginx never writes: the file is detected as Apache.
    expect(detected(dataLines('elastic-examples/apache_logs').slice(0, 200))).toBe('apache_combined');
  });

  it('apache_vhost_combined: %v without port, %v:%p, and %v:%p … %D', () => {
    const noPort = parseAs('apache_vhost_combined', dataLine('elastic-beats/apache-access-test-vhost.log', 1));
    expect(noPort).toMatchObject({
      host: 'vhost1.domaine.fr',
      clientIp: '123.123.123.123',
      statusCode: 200,
      bytesSent: 32953,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/75.0.  3770.100 Safari/537.36',
    });
    expect(iso(noPort.timestamp)).toBe('2019-07-04T07:20:46.000Z');
    expect(parseAs('apache_vhost_combined', dataLine('crowdsec-hub/apache2-logs__apache2-logs.log', 7))).toMatchObject({
      host: 'website.com',
      clientIp: '1.2.3.4',
      statusCode: 403,
      level: 'WARN',
      referer: 'abc.com',
      userAgent: 'User-agent-string',
    });
    expect(parseAs('apache_vhost_combined', dataLine('lnav/logfile_regexp_access_log.0', 1))).toMatchObject({
      host: 'localhost',
      clientIp: '178.20.184.42',
      latencyMs: 116.075,
      endpoint: '/secure/RapidBoard.jspa',
      protocol: 'HTTP/2.0',
    });
  });

  it('apache_combined_us and apache_combined_s', () => {
    const us = parseAs('apache_combined_us', dataLine('lnav/format_samples_access_log.txt', 5));
    expect(us).toMatchObject({ clientIp: '10.1.10.51', method: 'POST', endpoint: '/api/1/rest/foo/bar', statusCode: 200, bytesSent: 0, latencyMs: 0.293, userAgent: null });
    const line = '192.0.2.5 - - [01/Apr/2024:10:00:00 +0200] "GET /slow HTTP/1.1" 504 0 "-" "curl/8.5.0" 3';
    expect(parseAs('apache_combined_s', line)).toMatchObject({ latencyMs: 3000, statusCode: 504, level: 'ERROR' });
    expect(parseAs('apache_combined_us', line).latencyMs).toBe(0.003);
  });

  it('nginx_vhost_combined: $host or $host:$server_port prefix, XFF lists as client', () => {
    expect(parseAs('nginx_vhost_combined', dataLine('elastic-beats/nginx-access-access.log', 13))).toMatchObject({
      host: 'lessons.example.com',
      clientIp: '192.168.0.1',
      statusCode: 206,
      bytesSent: 7648063,
      endpoint: '/A%20Beka%20G1%20Howe/029_AND_30/15%20reading%20elephants.mp4',
      referer: 'http://lessons.example.com/A%20Beka%20G1%20Howe/029_AND_30/15%20reading%20elephants.mp4',
    });
    expect(parseAs('nginx_vhost_combined', dataLine('elastic-beats/nginx-access-test-with-host.log', 5))).toMatchObject({ host: 'example.com', clientIp: '10.5.102.222' });
    expect(detected(dataLines('elastic-beats/nginx-access-test-with-host.log'))).toBe('nginx_vhost_combined');
  });

  it('apache_ssl_request (mod_ssl default ssl_request_log)', () => {
    const rec = parseAs('apache_ssl_request', dataLine('elastic-beats/apache-access-ssl-request.log', 2));
    expect(rec).toMatchObject({ clientIp: '81.2.69.143', method: 'GET', endpoint: '/appl/ajaxhelper.php', statusCode: null, level: 'INFO', bytesSent: 0 });
    expect(iso(rec.timestamp)).toBe('2019-10-16T09:53:47.000Z');
  });

  it('npmplus (NPMplus, unquoted referer and agent)', () => {
    expect(parseAs('npmplus', dataLine('crowdsec-hub/nginx_http-catch-npm__nginx_http-catch-npm.log', 1))).toEqual({
      layout: 'npmplus',
      timestamp: Date.parse('2024-02-10T20:23:32Z'),
      level: 'INFO',
      statusCode: 207,
      method: 'REPORT',
      endpoint: '/SOGo/dav/abc@example.org/Calendar/personal/',
      protocol: 'HTTP/2.0',
      message: 'REPORT /SOGo/dav/abc@example.org/Calendar/personal/ HTTP/2.0',
      latencyMs: 227,
      clientIp: '192.168.1.100',
      bytesSent: 125,
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Thunderbird/123.0',
      referer: null,
      host: 'mx.example.org',
    });
  });

  it('combined_extra and common_extra: appended fields are ignored (tried last in auto mode)', () => {
    expect(parseAs('combined_extra', dataLine('datadog-integrations-core/nginx_tests_samples.log', 3))).toMatchObject({
      statusCode: 200,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/55.0.2883.87 Safari/537.36',
    });
    expect(parseAs('common_extra', dataLine('datadog-integrations-core/nginx_tests_samples.log', 6))).toMatchObject({ statusCode: 206, bytesSent: 33973115, userAgent: null });
    expect(() => parseAs('nginx_combined', dataLine('datadog-integrations-core/nginx_tests_samples.log', 3))).toThrow(/: text after the end of the format: /);
  });
});

describe('every preset documents itself', () => {
  const fields = (r: LogRecord): unknown[] => [r.timestamp, r.statusCode, r.method, r.endpoint, r.latencyMs, r.bytesSent, r.userAgent, r.referer, r.host, r.clientIp];

  it.each(PRESETS.map((p) => [p.name, p] as const))('%s: its example is read by it, and auto-detection reads it the same way', (name, preset) => {
    expect(preset.definition.length).toBeGreaterThan(10);
    const own = parseAs(name, preset.example);
    expect(own.layout).toBe(name);
    const auto = createRecordParser({ format: 'auto' }, [preset.example]);
    const result = auto.parse(preset.example);
    expect(result.ok).toBe(true);
    // Another preset may be chosen only when it reads the line into the same record (nginx_combined / apache_combined).
    // A unit-group preset on one line: the value cannot tell the unit, which detection must say.
    const unsure = preset.unitGroup !== undefined && auto.detection.confidence === 'low';
    if (result.ok && !preset.fallbackOnly && !unsure) expect(fields(result.record)).toEqual(fields(own));
  });

  it('the integer after combined: the values decide the unit, and say so when they cannot', () => {
    const COMBINED = '203.0.113.7 - - [06/Dec/2026:10:15:32 +0100] "GET / HTTP/1.1" 200 5 "-" "curl/8"';
    const lines = (values: number[]): string[] => values.map((v) => `${COMBINED} ${v}`);
    // %D: tens of thousands of µs.
    expect(createRecordParser({ format: 'auto' }, lines([52310, 8120, 120033, 40210, 9921, 311022])).detection).toMatchObject({ format: 'apache_combined_us', confidence: 'high' });
    // %{ms}T: tens to hundreds of ms.
    expect(createRecordParser({ format: 'auto' }, lines([52, 8, 120, 40, 9, 311, 77, 18, 230, 64])).detection).toMatchObject({ format: 'apache_combined_ms', confidence: 'high' });
    // %T: mostly 0, whole seconds.
    expect(createRecordParser({ format: 'auto' }, lines([0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 21])).detection).toMatchObject({ format: 'apache_combined_s', confidence: 'high' });
    // %T on a fast site: every value 0, where all three readings agree; the next line's `1` would not.
    expect(createRecordParser({ format: 'auto' }, lines(Array.from({ length: 20 }, () => 0))).detection).toMatchObject({ format: 'apache_combined_s', confidence: 'high' });
    // One value: nothing to tell by; the more common layout, and a warning naming the other.
    const one = createRecordParser({ format: 'auto' }, lines([293])).detection;
    expect(one).toMatchObject({ format: 'apache_combined_us', confidence: 'low' });
    expect(one.warnings.join(' ')).toMatch(/apache_combined_ms.*request time|request time.*apache_combined_ms/);
  });
});

describe('a layout never swallows the next fields into a quoted value', () => {
  const UA = '203.0.113.7 - - [06/Dec/2026:10:15:32 +0100] "GET / HTTP/1.1" 200 5 "-" "kube-probe/1.30"';
  // As auto-detection reads (strict); a preset asked for by name reads times leniently (below).
  const rejects = (format: string, line: string): boolean => PRESETS.find((p) => p.name === format)!.create(undefined, true).parseLine(line, newFailure()) === null;

  it.each([
    ['nginx_main', `${UA}rt=0.052 uct="0.001" uht="0.050" urt="0.051"`], // the line ends with a quote, but not the user agent's
    ['nginx_main', `${UA} 0.052 "0.051"`],
    ['nginx_main', `${UA} 0.319 0.318 10.0.0.12:8080`],
    ['nginx_main', `${UA} "0.318"`], // a timing is not an X-Forwarded-For
    ['nginx_combined', `${UA} HIT`],
    ['nginx_combined', `${UA}rt=0.003`],
    ['nginx_combined_timed', `${UA} "-" 0.052 0.051`], // main's X-Forwarded-For, then the times
    ['nginx_combined_timed', `${UA} 21`], // nginx writes three decimals: Apache's %T
    ['apache_combined_us', `${UA} 734 5612`], // combinedio
  ])('%s rejects %s', (format, line) => {
    expect(rejects(format, line)).toBe(true);
  });

  it('a preset asked for by name reads a time nginx would have written with three decimals', () => {
    expect(createRecordParser({ format: 'nginx_combined_timed' }, []).parse(`${UA} 0.1`)).toMatchObject({ ok: true, record: { latencyMs: 100 } });
    expect(rejects('nginx_combined_timed', `${UA} 0.1`)).toBe(true);
  });

  it('a truncated user agent (no closing quote) and a stray quote before a word are still read', () => {
    const cut = createRecordParser({ format: 'nginx_combined' }, []).parse('203.0.113.7 - - [06/Dec/2026:10:15:32 +0100] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 (X11; Li');
    expect(cut).toMatchObject({ ok: true, record: { userAgent: 'Mozilla/5.0 (X11; Li' } });
    const stray = createRecordParser({ format: 'nginx_main' }, []).parse('203.0.113.7 - - [06/Dec/2026:10:15:32 +0100] "GET / HTTP/1.1" 200 5 "-" "Bot "x" Chrome"');
    expect(stray).toMatchObject({ ok: true, record: { userAgent: 'Bot "x" Chrome' } });
  });
});

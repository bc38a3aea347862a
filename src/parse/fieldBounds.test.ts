/**
 * Bounds on parsed values (issue 13, #8 and #9), through the parser as ingestion uses it: durations and
 * sizes beyond plausible make the line a rejection (`implausible_value`) naming the field and the bound; key fields beyond
 * their bound are null (the record is kept). Routes: routes.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ParseResult } from '../domain/record.js';
import { createRecordParser } from './index.js';

const parse = (format: string, line: string, logFormat?: string): ParseResult => createRecordParser({ format, logFormat }, []).parse(line);
const COMBINED = '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" 200 512 "-" "curl/8"';
const combinedWith = (fields: { bytes?: string }): string => COMBINED.replace(' 512 ', ` ${fields.bytes ?? '512'} `);
/** A pseudo-random run of letters that no compressor shortens (a method nginx would log as it came). */
/** `at column N` of a value's first occurrence in the line. */
const at = (line: string, value: string): string => `at column ${line.indexOf(value) + 1}`;
const letters = (n: number, seed = 1): string => Array.from({ length: n }, (_, i) => String.fromCharCode(65 + ((i * 7919 + seed * 104729) % 26))).join('');

describe('durations and sizes beyond plausible make the line a rejection that names the field and the bound', () => {
  const STATUS_UPSTREAM = '$remote_addr [$time_local] "$request" $status $upstream_response_time';
  const APACHE_MS = '%h %t "%r" %>s %{ms}T';
  const REASON = 'duration or size beyond what is plausible (over 30 days or 1 PiB)';
  const UPSTREAM_LINE = '1.2.3.4 [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 502 0.5, 2591999.6 : 0.1';
  const MS_LINE = '1.2.3.4 [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 2592000001';
  it.each([
    ['nginx_combined_timed', `${COMBINED} 999999999999.000`, undefined, `$request_time 999999999999.000 s (over 30 days) at column ${COMBINED.length + 2}`],
    ['nginx_combined_timed', `${COMBINED} 2592000.001`, undefined, `$request_time 2592000.001 s (over 30 days) at column ${COMBINED.length + 2}`],
    ['nginx_combined_timed', `${COMBINED} ${'9'.repeat(60)}.500`, undefined, `$request_time ${'9'.repeat(40)}… s (over 30 days) at column ${COMBINED.length + 2}`],
    ['apache_combined_us', `${COMBINED} 2592000000001`, undefined, `%D 2592000000001 µs (over 30 days) at column ${COMBINED.length + 2}`],
    ['apache', MS_LINE, APACHE_MS, `%{ms}T 2592000001 ms (over 30 days) ${at(MS_LINE, '2592000001')}`],
    ['nginx', UPSTREAM_LINE, STATUS_UPSTREAM, `$upstream_response_time 0.5, 2591999.6 : 0.1 s (over 30 days) ${at(UPSTREAM_LINE, '0.5, ')}`],
    ['nginx_combined', combinedWith({ bytes: '1125899906842625' }), undefined,
      `$body_bytes_sent 1125899906842625 bytes (over 1 PiB) ${at(combinedWith({ bytes: '1125899906842625' }), '1125899906842625')}`],
    ['apache_combined', combinedWith({ bytes: '9'.repeat(30) }), undefined, `%b ${'9'.repeat(30)} bytes (over 1 PiB) ${at(combinedWith({}), '512')}`],
  ])('%s: %s', (format, line, logFormat, detail) => {
    expect(parse(format, line, logFormat)).toEqual({ ok: false, code: 'implausible_value', reason: REASON, detail });
  });

  it('values at the bounds are kept as they are', () => {
    expect(parse('nginx_combined_timed', `${COMBINED} 2592000.000`)).toMatchObject({ ok: true, record: { latencyMs: 2_592_000_000 } });
    expect(parse('apache_combined_us', `${COMBINED} 2592000000000`)).toMatchObject({ ok: true, record: { latencyMs: 2_592_000_000 } });
    expect(parse('nginx_combined', combinedWith({ bytes: '1125899906842624' }))).toMatchObject({ ok: true, record: { bytesSent: 2 ** 50 } });
  });

  it('in auto mode too: no catch-all preset takes the line without its value', () => {
    const samples = Array.from({ length: 5 }, (_, i) => `${COMBINED} 0.00${i + 1}`);
    const auto = createRecordParser({ format: 'auto' }, samples);
    expect(auto.format).toBe('nginx_combined_timed');
    expect(auto.parse(`${COMBINED} 999999999999.000`)).toMatchObject({
      ok: false, code: 'implausible_value', detail: `$request_time 999999999999.000 s (over 30 days) at column ${COMBINED.length + 2}`,
    });
    // Not an nginx timing: another layout, read by the catch-all, which the record names (and the job reports).
    expect(auto.parse(`${COMBINED} abc`)).toMatchObject({ ok: true, record: { latencyMs: null, layout: 'combined_extra' } });
  });
});

describe('key fields beyond their bound are null; the record is kept', () => {
  const FIELDS = '$remote_addr - - [$time_local] "$request_method $uri$is_args$args $server_protocol" $status $body_bytes_sent $host';
  const line = (f: { client?: string; method?: string; protocol?: string; host?: string }): string =>
    `${f.client ?? '10.0.0.1'} - - [10/Oct/2000:13:55:36 +0000] "${f.method ?? 'GET'} /x?y=1 ${f.protocol ?? 'HTTP/1.1'}" 200 5 ${f.host ?? 'example.com:8080'}`;
  const fields = (f: Parameters<typeof line>[0]): ParseResult => parse('nginx', line(f), FIELDS);

  it('a field of normal values', () => {
    expect(fields({})).toMatchObject({
      ok: true, record: { clientIp: '10.0.0.1', method: 'GET', endpoint: '/x', protocol: 'HTTP/1.1', host: 'example.com', message: 'GET /x?y=1 HTTP/1.1' },
    });
  });

  it('$request_method: an HTTP token of at most 32 characters; anything else is not an HTTP request, kept in the message as logged', () => {
    for (const method of ['PROPFIND', 'VERSION-CONTROL', 'purge', letters(32)]) {
      expect(fields({ method }), method).toMatchObject({ ok: true, record: { method, endpoint: '/x', protocol: 'HTTP/1.1' } });
    }
    for (const method of [letters(33), letters(6000), 'GET\\x22', 'GÉT']) {
      expect(fields({ method }), method.slice(0, 40)).toMatchObject({
        ok: true, record: { method: null, endpoint: null, protocol: null, statusCode: 200, message: `${method} /x?y=1 HTTP/1.1` },
      });
    }
  });

  it('$server_protocol: HTTP/x.y of at most 16 characters, else null (kept in the message)', () => {
    expect(fields({ protocol: 'HTTP/2.0' })).toMatchObject({ ok: true, record: { protocol: 'HTTP/2.0' } });
    for (const protocol of [`HTTP/1.${'1'.repeat(6000)}`, 'SPDY/3', 'HTTP/1.1.1.1.1.1.1']) {
      expect(fields({ protocol }), protocol.slice(0, 40)).toMatchObject({
        ok: true, record: { method: 'GET', endpoint: '/x', protocol: null, message: `GET /x?y=1 ${protocol}` },
      });
    }
  });

  it('$host: at most 255 characters, else null', () => {
    const host = `${'a'.repeat(63)}.`.repeat(4).slice(0, 255);
    expect(fields({ host: `${host}:443` })).toMatchObject({ ok: true, record: { host } });
    expect(fields({ host: `${host}x` })).toMatchObject({ ok: true, record: { host: null } });
    expect(fields({ host: letters(6000) })).toMatchObject({ ok: true, record: { host: null } });
  });

  it('$remote_addr: at most 255 characters, else null', () => {
    const client = `h${'a'.repeat(254)}`;
    expect(fields({ client })).toMatchObject({ ok: true, record: { clientIp: client } });
    expect(fields({ client: `${client}a` })).toMatchObject({ ok: true, record: { clientIp: null, method: 'GET' } });
    expect(parse('nginx_combined', COMBINED.replace('1.2.3.4', letters(6000)))).toMatchObject({ ok: true, record: { clientIp: null, statusCode: 200 } });
  });

  it('a request line: a method of more than 32 characters or a protocol of more than 16 is none', () => {
    const req = (r: string): string => COMBINED.replace('GET /a HTTP/1.1', r);
    expect(parse('nginx_combined', req(`${letters(33)} /a HTTP/1.1`))).toMatchObject({ ok: true, record: { method: null, endpoint: null, protocol: null } });
    expect(parse('nginx_combined', req(`GET /a HTTP/1.${'1'.repeat(6000)}`))).toMatchObject({ ok: true, record: { method: 'GET', protocol: null } });
  });

  it('error logs: the client and host of the context, and the request, bounded the same way', () => {
    const ctx = (client: string, host: string, method: string): string =>
      `2026/10/10 13:55:36 [error] 1234#0: *5 open() failed, client: ${client}, server: x, request: "${method} /a HTTP/1.1", host: "${host}"`;
    expect(parse('nginx_error', ctx('10.0.0.1', 'example.com', 'GET'))).toMatchObject({ ok: true, record: { clientIp: '10.0.0.1', host: 'example.com', method: 'GET' } });
    expect(parse('nginx_error', ctx(letters(6000), letters(6000, 2), letters(6000, 3)))).toMatchObject({
      ok: true, record: { clientIp: null, host: null, method: null, endpoint: null },
    });
    const apache = (client: string): string => `[Wed Oct 11 14:32:52 2000] [error] [client ${client}] File does not exist: /var/www/favicon.ico`;
    expect(parse('apache_error', apache('127.0.0.1'))).toMatchObject({ ok: true, record: { clientIp: '127.0.0.1' } });
    expect(parse('apache_error', apache(letters(6000)))).toMatchObject({ ok: true, record: { clientIp: null } });
  });
});

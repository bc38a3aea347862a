import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../domain/record.js';
import { compileApacheLogFormat } from './apacheLogFormat.js';
import { createRecordParser, FormatError } from './index.js';
import { dataLine, iso, needs, sharedData } from './testData.js';

function parseWith(logFormat: string, line: string): LogRecord {
  const result = createRecordParser({ format: 'apache', logFormat }, []).parse(line);
  if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
  return result.record;
}

const COMBINED = 'LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined';
const T = '[10/Oct/2000:13:55:36 -0700]';

describe('compileApacheLogFormat', () => {
  it('compiles the LogFormat line as pasted from apache2.conf', needs(sharedData), () => {
    const rec = parseWith(COMBINED, dataLine('elastic-examples/apache_logs', 1));
    expect(rec).toMatchObject({ clientIp: '83.149.9.216', statusCode: 200, method: 'GET', bytesSent: 203023 });
    expect(iso(rec.timestamp)).toBe('2015-05-17T10:05:03.000Z');
  });

  it('accepts the bare format, with or without config escapes', () => {
    for (const fmt of ['%h %l %u %t "%r" %>s %b', '%h %l %u %t \\"%r\\" %>s %b', '"%h %l %u %t \\"%r\\" %>s %b"']) {
      expect(parseWith(fmt, `::1 - - ${T} "GET / HTTP/1.1" 200 45`), fmt).toMatchObject({ clientIp: '::1', bytesSent: 45 });
    }
  });

  it('reads %b `-` as 0 bytes (CLF) but %B `-` as unknown, and %>s `-` as no status', () => {
    expect(parseWith('%h %t "%r" %>s %b', `1.2.3.4 ${T} "-" 408 -`)).toMatchObject({ bytesSent: 0, statusCode: 408, method: null });
    expect(parseWith('%h %t "%r" %>s %B', `1.2.3.4 ${T} "GET / HTTP/1.1" - -`)).toMatchObject({ bytesSent: null, statusCode: null, level: 'INFO' });
    expect(parseWith('%h %t "%r" %>s %O', `1.2.3.4 ${T} "GET / HTTP/1.1" 200 1234`).bytesSent).toBe(1234);
  });

  it('reads request durations: %D µs, %T s, %{ms}T, %{us}T', () => {
    const line = (v: string): string => `1.2.3.4 ${T} "GET / HTTP/1.1" 200 5 ${v}`;
    expect(parseWith('%h %t "%r" %>s %b %D', line('116075')).latencyMs).toBe(116.075);
    expect(parseWith('%h %t "%r" %>s %b %T', line('2')).latencyMs).toBe(2000);
    expect(parseWith('%h %t "%r" %>s %b %{ms}T', line('42')).latencyMs).toBe(42);
    expect(parseWith('%h %t "%r" %>s %b %{us}T', line('1500')).latencyMs).toBe(1.5);
  });

  it('reads %{…}t time formats', () => {
    expect(parseWith('%h [%{%d/%b/%Y:%H:%M:%S %z}t] %>s', `1.2.3.4 ${T} 200`).timestamp).toBe(Date.parse('2000-10-10T20:55:36Z'));
    expect(parseWith('%h %{sec}t %>s', '1.2.3.4 971211336 200').timestamp).toBe(971211336000);
    expect(parseWith('%h %{msec}t %>s', '1.2.3.4 971211336123 200').timestamp).toBe(971211336123);
    expect(parseWith('%h %{begin:%Y-%m-%dT%H:%M:%S%z}t %>s', '1.2.3.4 2000-10-10T13:55:36-0700 200').timestamp).toBe(Date.parse('2000-10-10T20:55:36Z'));
  });

  it('reads %v:%p, %U%q, %m and %H, conditions and mod_ssl variables', () => {
    const fmt = '%v:%p %a %{SSL_PROTOCOL}x %t "%m %U%q %H" %>s %b "%!200,304{Referer}i" "%{User-agent}i"';
    const rec = parseWith(fmt, `www.example.com:443 2001:db8::7 TLSv1.3 ${T} "PUT /a/b?c=d HTTP/1.1" 201 0 "-" "x/1"`);
    expect(rec).toMatchObject({ host: 'www.example.com', clientIp: '2001:db8::7', method: 'PUT', endpoint: '/a/b', protocol: 'HTTP/1.1', message: 'PUT /a/b?c=d HTTP/1.1', userAgent: 'x/1', referer: null });
  });

  it('takes the format of a pasted CustomLog, whose first argument is the file (quoted or not)', () => {
    const line = '[10/Oct/2000:13:55:36 -0700] 1.2.3.4 TLSv1.3 TLS_AES_256_GCM_SHA384 "GET / HTTP/1.1" 512';
    for (const input of [
      'CustomLog "logs/ssl_request_log" "%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \\"%r\\" %b"',
      'CustomLog logs/ssl_request_log "%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \\"%r\\" %b"',
    ]) {
      expect(parseWith(input, line), input).toMatchObject({ clientIp: '1.2.3.4', method: 'GET', bytesSent: 512 });
    }
  });

  it('consumes unknown directives without storing them', () => {
    expect(parseWith('%h %t %Z %>s', `1.2.3.4 ${T} whatever 200`).statusCode).toBe(200);
  });

  it('undoes Apache escapes in quoted fields', () => {
    const rec = parseWith(COMBINED, `1.2.3.4 - - ${T} "GET /a HTTP/1.1" 200 5 "-" "say \\"hi\\" \\\\o/"`);
    expect(rec.userAgent).toBe('say "hi" \\o/');
  });

  it('throws FormatError naming the problem for a format that cannot work', () => {
    const cases: [string, RegExp][] = [
      ['%h "%r" %>s', /no time field/],
      ['%h %{Referer i %t', /never closed/],
      ['%h %t %', /ends inside the directive/],
      ['CustomLog logs/access_log combined', /nickname/],
      ['TransferLog "logs/access_log"', /LogFormat defined before it/],
      ['LogFormat "%h %t', /never closed/],
      ['%h %{%Y-%m-%d %H:%M:%S}t %>s', /writes spaces/],
      ['%t %h%>s', /no text between them/],
      ['', /empty/],
    ];
    for (const [input, message] of cases) {
      expect(() => compileApacheLogFormat(input), input).toThrow(FormatError);
      expect(() => compileApacheLogFormat(input), input).toThrow(message);
    }
  });
});

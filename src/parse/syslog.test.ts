import { describe, expect, it } from 'vitest';
import { syslogPrefixLength } from './syslog.js';

const strip = (line: string): string => line.substring(syslogPrefixLength(line));

describe('syslogPrefixLength', () => {
  it('finds BSD syslog headers, with or without <PRI>, timestamp or pid', () => {
    expect(strip('Sep 15 16:13:46 ip-172-31-43-28.us-east-2.compute.internal nginx[2869]: 81.150.104.130 - - [x]')).toBe('81.150.104.130 - - [x]');
    expect(strip('<134>Sep 15 16:13:46 host nginx: 1.2.3.4 - - [x]')).toBe('1.2.3.4 - - [x]');
    expect(strip('Jul  8 11:07:07 host nginx[2869]: 167.71.13.196 - -')).toBe('167.71.13.196 - -');
    expect(strip('host nginx[2833]: 2015/01/21 10:56:10 [error] 2833#0: x')).toBe('2015/01/21 10:56:10 [error] 2833#0: x');
    expect(strip('Feb 15 16:23:40 srv httpd/backend1[22034]: [authz_core:error] x')).toBe('[authz_core:error] x');
    expect(strip('2021-09-15T16:13:46.123+00:00 web nginx[1]: 1.2.3.4 - -')).toBe('1.2.3.4 - -');
  });

  it('strips a doubled header (seen in fail2ban samples)', () => {
    expect(strip('host nginx[23141]: host nginx: 2025/09/07 21:20:40 [error] x')).toBe('2025/09/07 21:20:40 [error] x');
  });

  it('leaves log lines that merely look similar alone', () => {
    for (const line of [
      '192.168.1.1 - - [04/Jan/2020:07:25:02 +0000] "GET / HTTP/1.1" 404 522 "-" "-"',
      'example.com:80 unix: - - [26/Feb/2019:15:39:42 +0100] "hello" 400 173 "-" "-"',
      '2021/09/30 09:23:53 [error] 1925800#1925800: *17 user "foo"',
      '[Mon Dec 26 16:22:08 2016] [error] [client 192.168.33.1] x',
      'host nginx: no pid and no time',
    ]) {
      expect(syslogPrefixLength(line), line).toBe(0);
    }
  });
});

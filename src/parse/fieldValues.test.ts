import { describe, expect, it } from 'vitest';
import { clientAddress, hostWithoutPort, parseStatus, secondsToMs, sumSecondsList } from './fieldValues.js';

const whole = <T>(fn: (s: string, a: number, b: number) => T) => (s: string): T => fn(s, 0, s.length);

describe('field values', () => {
  it('accepts three-digit statuses 100-599 only', () => {
    const status = whole(parseStatus);
    expect([status('200'), status('599'), status('099'), status('600'), status('abc'), status('2000'), status('-')]).toEqual([200, 599, -1, -1, -1, -1, -1]);
  });

  it('turns seconds into exact milliseconds', () => {
    const ms = whole(secondsToMs);
    expect([ms('0.050'), ms('0.202'), ms('12'), ms('1.5')]).toEqual([50, 202, 12000, 1500]);
    expect(ms('abc')).toBeNaN();
    expect(ms('1.')).toBeNaN();
  });

  it('sums $upstream_response_time lists and treats all-dash as absent', () => {
    const sum = whole(sumSecondsList);
    expect(sum('0.002, 0.004')).toBe(6);
    expect(sum('0.001, 0.002 : 0.003')).toBe(6);
    expect(sum('0.010, -')).toBe(10);
    expect(sum('-')).toBeNull();
    expect(sum('x')).toBeNaN();
  });

  it('takes the first entry of a client list and refuses two bare words', () => {
    const client = whole(clientAddress);
    expect(client('10.0.0.2, 10.0.0.1, 127.0.0.1')).toBe('10.0.0.2');
    expect(client('"10.5.102.222, 175.16.199.1, 204.246.1.1" 10.2.1.185')).toBe('10.5.102.222');
    expect(client('2a02:cf40:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121')).toBe('2a02:cf40:10ff:f00f:0000:0000:0:8000');
    expect(client('2001:db8::1')).toBe('2001:db8::1');
    expect(client('-')).toBeNull();
    expect(client('www.example.com 1.2.3.4')).toBeUndefined();
  });

  it('drops the port of a host', () => {
    const host = whole(hostWithoutPort);
    expect([host('example.com:80'), host('[::1]:8080'), host('example.com'), host('2001:db8::1'), host('-'), host('')]).toEqual([
      'example.com',
      '[::1]',
      'example.com',
      '2001:db8::1',
      null,
      null,
    ]);
  });
});

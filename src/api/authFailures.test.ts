import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter, clientGroup } from './authFailures.js';

describe('clientGroup', () => {
  it('counts IPv4 by address, and IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(clientGroup('192.0.2.7')).toBe('192.0.2.7');
    expect(clientGroup('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(clientGroup('::FFFF:192.0.2.7')).toBe('192.0.2.7');
  });

  it('counts IPv6 per /64, however the address is written', () => {
    const group = '2001:db8:85a3:42::/64';
    for (const ip of ['2001:db8:85a3:42::1', '2001:0db8:85a3:0042:ffff:ffff:ffff:ffff', '2001:db8:85a3:42:1:2:3:4', '2001:DB8:85A3:42::abcd%eth0']) {
      expect(clientGroup(ip), ip).toBe(group);
    }
    expect(clientGroup('2001:db8:85a3:43::1')).not.toBe(group);
    expect(clientGroup('::1')).toBe('0:0:0:0::/64');
    expect(clientGroup('fe80::1')).toBe('fe80:0:0:0::/64');
    expect(clientGroup('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(clientGroup('1:2:3:4:5:6:1.2.3.4')).toBe('1:2:3:4::/64');
  });
});

describe('AuthFailureLimiter', () => {
  function clock(): { now: () => number; advance(ms: number): void } {
    let t = 0;
    return { now: () => t, advance: (ms) => void (t += ms) };
  }

  it('lets a group fail maxPerMinute times, then asks it to wait for the end of its minute', () => {
    const c = clock();
    const limiter = new AuthFailureLimiter({ maxPerMinute: 3, now: c.now });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterS('a')).toBe(0);
      limiter.fail('a');
    }
    c.advance(20_000);
    expect(limiter.retryAfterS('a')).toBe(40);
    expect(limiter.retryAfterS('b')).toBe(0); // another group is unaffected
    c.advance(39_500);
    expect(limiter.retryAfterS('a')).toBe(1);
    c.advance(500);
    expect(limiter.retryAfterS('a')).toBe(0);
  });

  it('takes back a count when the key then verified', () => {
    const limiter = new AuthFailureLimiter({ maxPerMinute: 1 });
    limiter.fail('a');
    expect(limiter.retryAfterS('a')).toBeGreaterThan(0);
    limiter.forgive('a');
    expect(limiter.retryAfterS('a')).toBe(0);
  });

  it('is off at 0, and tracks a bounded number of groups', () => {
    const off = new AuthFailureLimiter({ maxPerMinute: 0 });
    for (let i = 0; i < 100; i++) off.fail('a');
    expect(off.retryAfterS('a')).toBe(0);
    const limiter = new AuthFailureLimiter({ maxPerMinute: 5, maxAddresses: 1000 });
    for (let i = 0; i < 50_000; i++) limiter.fail(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(limiter.trackedGroups).toBe(1000);
  });
});

import { describe, expect, it } from 'vitest';
import {
  AllowedHostsError, literalRefusal, NO_ALLOWED_DESTINATIONS, parseAllowedDestinations, refusalOf, type DestinationPolicy,
} from './destinationPolicy.js';

const DEFAULT: DestinationPolicy = { denyPrivate: false, allowed: NO_ALLOWED_DESTINATIONS };
const STRICT: DestinationPolicy = { denyPrivate: true, allowed: NO_ALLOWED_DESTINATIONS };

describe('destination policy', () => {
  it('refuses link-local addresses by default, IPv4-mapped forms included, naming the address and the way out', () => {
    expect(refusalOf('169.254.169.254', '169.254.169.254', DEFAULT))
      .toBe('destination 169.254.169.254 is a link-local address, refused (NOTIFY_ALLOWED_HOSTS allows it)');
    for (const address of ['169.254.0.1', 'fe80::1', 'febf:ffff::1', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe']) {
      expect(refusalOf(address, address, DEFAULT), address).toMatch(/is a link-local address, refused/);
    }
    expect(refusalOf('metadata.internal', '169.254.169.254', DEFAULT)).toMatch(/^destination metadata\.internal \(169\.254\.169\.254\) is a link-local/);
  });

  it('lets loopback, private and public receivers through by default', () => {
    for (const address of ['127.0.0.1', '::1', '10.1.2.3', '172.16.0.9', '192.168.1.1', 'fd00::5', '100.64.0.1', '0.0.0.0', '93.184.215.14', '2606:4700::1', 'fec0::1']) {
      expect(refusalOf(address, address, DEFAULT), address).toBeNull();
    }
  });

  it('with NOTIFY_DENY_PRIVATE refuses loopback, private, CGNAT and unspecified addresses too, and still lets public ones through', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'], ['127.9.9.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private'], ['172.31.255.255', 'private'], ['192.168.0.1', 'private'], ['fc00::1', 'private'], ['fdff::1', 'private'],
      ['100.64.0.1', 'shared (CGNAT)'], ['100.127.255.255', 'shared (CGNAT)'], ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
      ['169.254.1.1', 'link-local'],
    ];
    for (const [address, kind] of cases) expect(refusalOf(address, address, STRICT), address).toMatch(new RegExp(`is an? ${kind.replace(/[()]/g, '\\$&')} address`));
    for (const address of ['172.32.0.1', '100.128.0.1', '8.8.8.8', '2001:db8::1']) expect(refusalOf(address, address, STRICT), address).toBeNull();
  });

  it('NOTIFY_ALLOWED_HOSTS allows a host name or a CIDR whatever the policy says', () => {
    const allowed = parseAllowedDestinations(' Alertmanager.internal , 10.0.0.0/8, 169.254.169.254, fd00::/8 ');
    expect(allowed).toEqual({ hosts: ['alertmanager.internal'], cidrs: ['10.0.0.0/8', '169.254.169.254/32', 'fd00::/8'] });
    const policy: DestinationPolicy = { denyPrivate: true, allowed };
    expect(refusalOf('alertmanager.internal', '192.168.5.5', policy)).toBeNull();
    expect(refusalOf('ALERTMANAGER.internal.', '192.168.5.5', policy)).toBeNull();
    expect(refusalOf('x', '10.200.0.1', policy)).toBeNull();
    expect(refusalOf('169.254.169.254', '169.254.169.254', policy)).toBeNull();
    expect(refusalOf('y', 'fd12::1', policy)).toBeNull();
    expect(refusalOf('y', '192.168.5.5', policy)).toMatch(/private/);
    expect(refusalOf('y', '169.254.169.253', policy)).toMatch(/link-local/);
  });

  it('refuses a bad NOTIFY_ALLOWED_HOSTS entry, naming it', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'fd00::/129', 'host/8', '10.0.0.0/8/1', '10.0.0.0/', 'bad host', 'a..b', '-x.example']) {
      expect(() => parseAllowedDestinations(`ok.example, ${bad}`), bad).toThrow(AllowedHostsError);
      expect(() => parseAllowedDestinations(bad), bad).toThrow(bad);
    }
    expect(parseAllowedDestinations('')).toEqual({ hosts: [], cidrs: [] });
  });

  it('checks an address written in a URL before any connection, and leaves host names to the connection', () => {
    expect(literalRefusal('http://169.254.169.254/latest/meta-data/', DEFAULT)).toMatch(/^destination 169\.254\.169\.254 is a link-local/);
    expect(literalRefusal('http://[::ffff:169.254.169.254]:8080/x', DEFAULT)).toMatch(/link-local/);
    expect(literalRefusal('http://[fe80::1]/x', DEFAULT)).toMatch(/link-local/);
    // Other spellings of an IPv4 address are one address to the URL parser.
    expect(literalRefusal('http://0xa9fea9fe/', DEFAULT)).toMatch(/^destination 169\.254\.169\.254 /);
    expect(literalRefusal('http://2852039166/', DEFAULT)).toMatch(/^destination 169\.254\.169\.254 /);
    expect(literalRefusal('http://127.0.0.1:9093', DEFAULT)).toBeNull();
    expect(literalRefusal('http://127.0.0.1:9093', STRICT)).toMatch(/loopback/);
    expect(literalRefusal('http://metadata.internal/', STRICT)).toBeNull();
  });
});

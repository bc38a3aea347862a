import net from 'node:net';
import { LruCache } from './lruCache.js';

const WINDOW_MS = 60_000;
/** Addresses tracked at once; past it the least recently seen is forgotten (memory stays bounded under a flood). */
const MAX_ADDRESSES = 20_000;

/**
 * The unit failed authentications are counted by: an IPv4 address, or the /64 of an IPv6 address. One
 * IPv6 host usually holds a whole /64 (SLAAC, privacy addresses), so counting single addresses would
 * give it 2^64 fresh starts. IPv4-mapped IPv6 (`::ffff:192.0.2.1`, what a dual-stack socket reports)
 * counts as the IPv4 address.
 */
export function clientGroup(ip: string): string {
  const bare = ip.replace(/%.*$/, ''); // zone index (fe80::1%eth0)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  if (!net.isIPv6(bare)) return bare;
  const groups = ipv6Groups(bare);
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 as two groups). */
function ipv6Groups(ip: string): number[] {
  const parse = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [Number.parseInt(g, 16)];
      const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * Failed authentications per client group in a fixed one-minute window: past `maxPerMinute` the group
 * waits for the window to end. Consulted before any key lookup, so a guesser costs no database work
 * once over the limit. `maxPerMinute` 0 turns it off.
 */
export class AuthFailureLimiter {
  private readonly windows: LruCache<string, { count: number; resetAt: number }>;

  constructor(private readonly opts: { maxPerMinute: number; maxAddresses?: number; now?: () => number }) {
    this.windows = new LruCache({ maxEntries: opts.maxAddresses ?? MAX_ADDRESSES, ttlMs: WINDOW_MS, now: opts.now });
  }

  /** Whole seconds until the group may try again; 0 when it may try now. */
  retryAfterS(group: string): number {
    if (this.opts.maxPerMinute === 0) return 0;
    const w = this.windows.get(group);
    if (!w || w.count < this.opts.maxPerMinute) return 0;
    return Math.max(1, Math.ceil((w.resetAt - this.now()) / 1000));
  }

  /** Counts one failed (or not yet verified) authentication of the group. */
  fail(group: string): void {
    if (this.opts.maxPerMinute === 0) return;
    const now = this.now();
    const w = this.windows.get(group);
    if (w) w.count++;
    else this.windows.set(group, { count: 1, resetAt: now + WINDOW_MS });
  }

  /** Takes back a count made before a lookup that then verified the key. */
  forgive(group: string): void {
    const w = this.windows.get(group);
    if (w && w.count > 0) w.count--;
  }

  get trackedGroups(): number {
    return this.windows.size;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

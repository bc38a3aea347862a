import { describe, expect, it } from 'vitest';
import { LruCache } from './lruCache.js';

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('LruCache', () => {
  it('never holds more than maxEntries, however many keys arrive', () => {
    const cache = new LruCache<string, number>({ maxEntries: 100, ttlMs: 60_000 });
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(100);
    expect(cache.get('k9999')).toBe(9999);
    expect(cache.get('k0')).toBeUndefined();
  });

  it('evicts the least recently used entry, so a key in use survives a flood of new ones', () => {
    const cache = new LruCache<string, string>({ maxEntries: 3, ttlMs: 60_000 });
    cache.set('good', 'key');
    for (let i = 0; i < 1000; i++) {
      cache.set(`junk${i}`, 'x');
      expect(cache.get('good')).toBe('key'); // used between the junk: it stays
    }
    expect(cache.size).toBe(3);
  });

  it('treats an entry older than its lifetime as absent and drops it', () => {
    const c = clock();
    const cache = new LruCache<string, number>({ maxEntries: 10, ttlMs: 1_000, now: c.now });
    cache.set('a', 1);
    cache.set('b', 2, 5_000);
    c.advance(999);
    expect(cache.get('a')).toBe(1);
    c.advance(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(1);
    expect(cache.get('b')).toBe(2);
  });

  it('replaces a value in place, and deletes and clears', () => {
    const cache = new LruCache<string, number>({ maxEntries: 2, ttlMs: 1_000 });
    cache.set('a', 1);
    cache.set('a', 2);
    expect(cache.size).toBe(1);
    expect(cache.get('a')).toBe(2);
    cache.set('b', 3);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    cache.set('c', 4);
    expect([...cache.entries()]).toEqual([['b', 3], ['c', 4]]);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});

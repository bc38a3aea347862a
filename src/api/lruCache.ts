/**
 * A map with a bound on its entries and on their age: past `maxEntries` the least recently used entry
 * goes, and an entry older than `ttlMs` is treated as absent (and dropped when met). Used where the keys
 * come from clients (presented API keys, client addresses): a flood of new keys evicts old ones one at a
 * time, so memory stays bounded and the entries in use stay, where clearing the whole map would drop
 * them too. A JavaScript Map keeps insertion order, so re-inserting on use keeps it in recency order.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; expiresAt: number }>();

  constructor(
    private readonly opts: { maxEntries: number; ttlMs: number; now?: () => number },
  ) {
    if (!(opts.maxEntries >= 1)) throw new Error('LruCache: maxEntries must be at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  /** The live value, marked as just used; undefined when absent or expired. */
  get(key: K): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key);
    if (hit.expiresAt <= this.now()) return undefined;
    this.map.set(key, hit);
    return hit.value;
  }

  /** Stores a value for ttlMs (or the given lifetime), evicting the least recently used entry when full. */
  set(key: K, value: V, ttlMs = this.opts.ttlMs): void {
    this.map.delete(key);
    while (this.map.size >= this.opts.maxEntries) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
    this.map.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  /** Every live entry, least recently used first (without marking them used). */
  *entries(): IterableIterator<[K, V]> {
    const now = this.now();
    for (const [key, e] of [...this.map]) if (e.expiresAt > now) yield [key, e.value];
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}

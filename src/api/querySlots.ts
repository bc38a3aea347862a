import { AppError } from './errors.js';

/** What a refused caller is told to wait: searches over raw rows usually end within seconds. */
const RETRY_AFTER_S = 2;

/**
 * Searches over raw rows (GET /logs, exact client counts, backtests) that one key may run at once.
 * On PGlite every statement waits in one queue, so a key that starts searches faster than they end
 * would hold the process for everyone; on PostgreSQL it would hold pool connections. A slot is held
 * until the work itself ends, not the answer: a search answered 504 at its deadline goes on running
 * on PGlite, and keeps its slot until it does.
 */
export class QuerySlots {
  private readonly running = new Map<string, number>();

  /** `maxPerOwner` 0: no limit. */
  constructor(private readonly maxPerOwner: number) {}

  /** Runs work in a slot of `owner` (requestOwner's slot); 429 with Retry-After when the owner has none free. */
  async run<T>(owner: string, work: () => Promise<T>): Promise<T> {
    if (this.maxPerOwner === 0) return work();
    const held = this.running.get(owner) ?? 0;
    if (held >= this.maxPerOwner) {
      throw new AppError(429, 'too_many_searches',
        `this API key already runs ${held} searches over raw rows, the most it may run at once (RAW_QUERIES_PER_KEY=${this.maxPerOwner}); retry when one has finished`,
        { headers: { 'retry-after': String(RETRY_AFTER_S) } });
    }
    this.running.set(owner, held + 1);
    try {
      return await work();
    } finally {
      const left = (this.running.get(owner) ?? 1) - 1;
      if (left > 0) this.running.set(owner, left);
      else this.running.delete(owner);
    }
  }

  /** Slots in use by an owner (for tests and metrics). */
  inUse(owner: string): number {
    return this.running.get(owner) ?? 0;
  }
}

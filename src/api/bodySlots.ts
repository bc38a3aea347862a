import type { FastifyReply } from 'fastify';
import { AppError } from './errors.js';

export interface BodySlotsOptions {
  /** Requests whose bodies are read at once. */
  slots: number;
  /** Requests that may wait for a slot; past them, 429. */
  waiting: number;
  /** What the requests are, for the 429's message: `_bulk requests`. */
  what: string;
  /** The 429's problem code. */
  code: string;
}

/**
 * Bounds the requests of a live HTTP input whose bodies are read whole (`_bulk`, Loki push): at most
 * `slots` at once. A slot is taken before the body is read (an onRequest hook), so the bodies of the
 * requests that wait stay with their senders (TCP flow control); past `waiting` waiting, a request is
 * asked to retry, as Elasticsearch does when its write queue is full. Memory stays bounded however many
 * shippers send at once, and a client's own concurrency (the Elasticsearch bulk helper sends 5) just waits.
 */
export class BodySlots {
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly opts: BodySlotsOptions) {}

  /** Waits for a slot (429 when too many wait already); resolves to its release, which may be called more than once. */
  async take(): Promise<() => void> {
    if (this.inFlight < this.opts.slots) this.inFlight++;
    else if (this.waiters.length >= this.opts.waiting) {
      throw new AppError(429, this.opts.code, `${this.opts.slots + this.opts.waiting} ${this.opts.what} are in progress or waiting; retry shortly`,
        { headers: { 'retry-after': '1' } });
    } else await new Promise<void>((resolve) => this.waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Handed straight to the next waiter, which counts as in flight in its place.
      const next = this.waiters.shift();
      if (next) next();
      else this.inFlight--;
    };
  }

  /** Takes a slot for this request, held until its answer is sent or its connection is gone. */
  async holdFor(reply: FastifyReply): Promise<void> {
    const release = await this.take();
    reply.raw.once('finish', release);
    reply.raw.once('close', release);
    // Gone while it waited: its 'close' has passed, so the slot goes on at once.
    if (reply.raw.closed) release();
  }

  /** Requests reading their bodies now, and waiting to (for tests). */
  get usage(): { inFlight: number; waiting: number } {
    return { inFlight: this.inFlight, waiting: this.waiters.length };
  }
}

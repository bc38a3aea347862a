import { PassThrough, type Readable } from 'node:stream';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/db.js';
import { BATCH_CHANNEL, parseBatchNotice, type BatchNotice } from '../domain/batchNotice.js';
import type { LogFilters } from './filters.js';
import { batchRecords, type LogRow } from './searchLogs.js';

export interface TailLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface LogTailOptions {
  maxSubscribers: number;
  /** Records sent per subscriber per ingest batch; the rest are counted as dropped. */
  maxRecordsPerBatch: number;
  /** A comment line this often keeps proxies from closing a quiet stream. */
  heartbeatMs: number;
  log: TailLogger;
  metrics?: TailMetrics | undefined;
}

export interface TailMetrics {
  subscribers: Gauge;
  records: Counter<'outcome'>;
}

export function createTailMetrics(registry: Registry): TailMetrics {
  return {
    subscribers: new Gauge({ name: 'loginsights_tail_subscribers', help: 'Open live tail streams (GET /logs/tail)', registers: [registry] }),
    records: new Counter({
      name: 'loginsights_tail_records_total',
      help: 'Records matched for live tails: sent, dropped_cap (over the per-batch cap), dropped_slow (client not reading)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

export class TailFullError extends Error {}

/** One Server-Sent Events frame; JSON never holds a raw newline, so `data:` is one line. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * One subscriber's stream. Memory stays bounded by never queueing past the stream's buffer: once a
 * write says the buffer is full (the client reads slower than records come), records are counted
 * instead, and the count goes out as one `dropped` event when the buffer drains.
 */
class Subscriber {
  // Piped to the socket by Fastify: the socket's back-pressure pauses the pipe, and this buffer fills.
  readonly stream = new PassThrough({ highWaterMark: 64 * 1024 });
  live = false;
  private blocked = false;
  private dropped = 0;

  constructor(readonly filters: LogFilters, readonly key: string, private readonly metrics: TailMetrics | undefined) {
    this.stream.on('drain', () => {
      this.blocked = false;
      this.flushDropped();
    });
  }

  get wantsRows(): boolean {
    return !this.blocked;
  }

  /** Cheap checks before any query: a source or time window the batch cannot match. */
  mayMatch(n: BatchNotice): boolean {
    const f = this.filters;
    if (f.sources && !f.sources.includes(n.source)) return false;
    if (f.startDate && Date.parse(n.max_timestamp) + 1 < Date.parse(f.startDate)) return false;
    if (f.endDate && Date.parse(n.min_timestamp) - 1 >= Date.parse(f.endDate)) return false;
    return true;
  }

  deliver(rows: LogRow[], total: number): void {
    const blockedAtStart = this.blocked;
    let sent = 0;
    for (const row of rows) {
      if (this.blocked) break;
      this.write(sseFrame('record', row));
      sent++;
    }
    this.metrics?.records.inc({ outcome: 'sent' }, sent);
    // Rows the client had no room for vs rows past the per-batch cap while it kept up.
    const slow = blockedAtStart ? total : rows.length - sent;
    this.metrics?.records.inc({ outcome: 'dropped_slow' }, slow);
    this.metrics?.records.inc({ outcome: 'dropped_cap' }, total - sent - slow);
    this.dropped += total - sent;
    this.flushDropped();
  }

  send(event: string, data: unknown): void {
    this.write(sseFrame(event, data));
  }

  ping(): void {
    if (!this.blocked) this.write(': ping\n\n');
  }

  private flushDropped(): void {
    if (this.dropped === 0 || this.blocked) return;
    const dropped = this.dropped;
    this.dropped = 0;
    this.write(sseFrame('dropped', { dropped }));
  }

  private write(text: string): void {
    if (this.stream.destroyed || this.stream.writableEnded) return;
    if (!this.stream.write(text)) this.blocked = true;
  }
}

/**
 * Live tail for this process: one LISTEN on the batch channel, fanned out to every open stream. For
 * each committed batch, each group of subscribers with the same filters reads the batch's matching
 * rows once (the same WHERE as GET /logs). Batches are handled one at a time in notification order,
 * so each stream sees records in ingestion order. Pending work is one small notice per batch.
 */
export class LogTail {
  private readonly subs = new Set<Subscriber>();
  private listening: Promise<() => Promise<void>> | undefined;
  private work: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly db: Db, private readonly opts: LogTailOptions) {}

  /**
   * Resolves once the subscription is live, its stream already holding the `ready` event: batches
   * committed after the client reads `ready` are in the stream. The stream's close unsubscribes.
   */
  async subscribe(filters: LogFilters): Promise<Readable> {
    if (this.closed) throw new TailFullError('the server is shutting down');
    if (this.subs.size >= this.opts.maxSubscribers) throw new TailFullError(`${this.opts.maxSubscribers} live tails are open on this server`);
    const sub = new Subscriber(filters, JSON.stringify(filters), this.opts.metrics);
    // Taken before the await, so concurrent requests cannot pass the cap together.
    this.subs.add(sub);
    this.opts.metrics?.subscribers.set(this.subs.size);
    sub.stream.once('close', () => {
      this.subs.delete(sub);
      this.opts.metrics?.subscribers.set(this.subs.size);
    });
    try {
      await this.listen();
    } catch (err) {
      sub.stream.destroy();
      throw err;
    }
    this.heartbeat ??= setInterval(() => this.subs.forEach((s) => s.ping()), this.opts.heartbeatMs).unref();
    sub.live = true;
    sub.send('ready', { max_records_per_batch: this.opts.maxRecordsPerBatch });
    return sub.stream;
  }

  /**
   * Ends every stream (server shutdown) so that closing the server does not wait on them. Neither
   * pending batches nor UNLISTEN are awaited: on PGlite they queue behind whatever the one backend is
   * doing (a background search-index build runs for seconds), and closing the database ends the
   * LISTEN anyway.
   */
  async close(graceMs = 1_000): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    void this.listening?.then((unlisten) => unlisten()).catch(() => undefined);
    const streams = [...this.subs].map((s) => s.stream);
    for (const stream of streams) stream.end();
    // A client that stopped reading never takes the end of its stream; past the grace period it is cut off.
    const closed = Promise.all(streams.map((s) => new Promise((resolve) => (s.closed ? resolve(null) : s.once('close', resolve)))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const stream of streams) stream.destroy();
  }

  private listen(): Promise<unknown> {
    this.listening ??= this.db.listen(BATCH_CHANNEL, (payload) => this.enqueue(payload), {
      lost: (err) => {
        this.opts.log.warn({ err }, 'live tail: lost the LISTEN connection; reconnecting');
        this.gap('the database connection was lost; batches committed until it is back are not streamed');
      },
      restored: () => this.opts.log.info({}, 'live tail: listening again'),
    });
    // A failed first LISTEN is not kept: the next subscriber tries again.
    this.listening.catch(() => (this.listening = undefined));
    return this.listening;
  }

  private enqueue(payload: string): void {
    const notice = parseBatchNotice(payload);
    // Never awaited here: the PGlite adapter calls back while the notifying COMMIT is being answered.
    if (notice && !this.closed) this.work = this.work.then(() => this.deliver(notice));
  }

  private async deliver(notice: BatchNotice): Promise<void> {
    const groups = new Map<string, Subscriber[]>();
    for (const sub of this.subs) {
      if (!sub.live || !sub.mayMatch(notice)) continue;
      groups.set(sub.key, [...(groups.get(sub.key) ?? []), sub]);
    }
    for (const group of groups.values()) {
      if (this.closed) return;
      // Only counting when no one in the group has room: the count is what their `dropped` needs.
      const take = group.some((s) => s.wantsRows) ? this.opts.maxRecordsPerBatch : 0;
      try {
        const { rows, total } = await batchRecords(this.db, group[0]!.filters, notice, take);
        for (const sub of group) sub.deliver(rows, total);
      } catch (err) {
        if (this.closed) return; // the database closed under a read at shutdown
        this.opts.log.warn({ err, job_id: notice.job_id }, 'live tail: reading a committed batch failed');
        for (const sub of group) sub.send('gap', { reason: 'reading a batch failed; its records are not streamed' });
      }
    }
  }

  private gap(reason: string): void {
    for (const sub of this.subs) if (sub.live) sub.send('gap', { reason });
  }
}

import { PassThrough, type Writable } from 'node:stream';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/db.js';
import { BATCH_CHANNEL, parseBatchNotice, type BatchNotice } from '../domain/batchNotice.js';
import type { RecordFilter } from '../query/recordFilter.js';
import { batchRecords, type LogRow } from './searchLogs.js';

export interface TailLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface LogTailOptions {
  maxSubscribers: number;
  /** Streams one owner (an API key, or an address without auth) may hold at once. */
  maxPerOwner: number;
  /** Records sent per subscriber per ingest batch; the rest are counted as dropped. */
  maxRecordsPerBatch: number;
  /** A comment line this often keeps proxies from closing a quiet stream. */
  heartbeatMs: number;
  /** A stream whose client has read nothing for this long (its buffer stayed full) is ended, freeing its slot. */
  idleMs: number;
  /** How often the keys of open streams are checked for revocation (other processes revoke too). */
  keyRecheckMs: number;
  /** Of the given key ids, those still active; without it, keys are never re-checked. */
  activeKeys?: ((ids: number[]) => Promise<ReadonlySet<number>>) | undefined;
  log: TailLogger;
  metrics?: TailMetrics | undefined;
}

/** Who holds a stream: the key it was opened with (re-checked while it runs), and the slot it counts against. */
export interface TailOwner {
  keyId: number | undefined;
  /** `key:<id>`, or `addr:<address>` when auth is off. */
  slot: string;
}

export interface TailMetrics {
  subscribers: Gauge;
  records: Counter<'outcome'>;
  ended: Counter<'reason'>;
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
    ended: new Counter({
      name: 'loginsights_tail_ended_total',
      help: 'Live tail streams the server ended: revoked (the key was revoked), idle (the client stopped reading)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

/** No room for another stream: on this server (`server`), or for this key (`owner`). */
export class TailFullError extends Error {
  constructor(message: string, readonly scope: 'server' | 'owner' = 'server') {
    super(message);
  }
}

/** How long an ended stream's client gets to take its last event before the socket is cut. */
const END_GRACE_MS = 2_000;
/** What a stream may hold that its client has not taken yet; past it, records are counted as dropped. */
export const TAIL_BUFFER_BYTES = 64 * 1024;

/** Why the server ends a stream (a WebSocket says it with its close code). */
export type TailEnd = 'revoked' | 'shutdown';

/**
 * How one stream's events reach its client: Server-Sent Events in a byte stream, or one WebSocket
 * message per event. The stream's own buffer is the bound on what waits for the client.
 */
export interface TailWire<S extends Writable = Writable> {
  /** Where events are written: write() returning false (the buffer is full) turns records into a dropped count until 'drain'. */
  readonly stream: S;
  /** One event as the client reads it. */
  frame(event: string, data: unknown): string;
  /** A keep-alive for proxies: text to write in the stream, or null when the wire sent its own (a WebSocket ping frame). */
  heartbeat(): string | null;
  /** Ends the stream once `last` (when given) and what is buffered have been written. */
  end(last: string | undefined, why: TailEnd): void;
}

/** One Server-Sent Events frame; JSON never holds a raw newline, so `data:` is one line. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Server-Sent Events into a PassThrough that Fastify pipes to the socket: the socket's back-pressure pauses the pipe, and this buffer fills. */
export function sseWire(): TailWire<PassThrough> {
  const stream = new PassThrough({ highWaterMark: TAIL_BUFFER_BYTES });
  return { stream, frame: sseFrame, heartbeat: () => ': ping\n\n', end: (last) => stream.end(last) };
}

/**
 * One subscriber's stream. Memory stays bounded by never queueing past the stream's buffer: once a
 * write says the buffer is full (the client reads slower than records come), records are counted
 * instead, and the count goes out as one `dropped` event when the buffer drains.
 */
class Subscriber {
  readonly stream: Writable;
  live = false;
  private blocked = false;
  private dropped = 0;
  /** Runs while the buffer is full: a client that reads nothing for idleMs loses its stream. */
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly filter: RecordFilter, readonly key: string, readonly owner: TailOwner, private readonly wire: TailWire,
    private readonly opts: { idleMs: number; metrics: TailMetrics | undefined; onIdle: () => void },
  ) {
    this.stream = wire.stream;
    this.stream.on('drain', () => {
      this.blocked = false;
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      this.flushDropped();
    });
    this.stream.once('close', () => clearTimeout(this.idleTimer));
  }

  private get metrics(): TailMetrics | undefined {
    return this.opts.metrics;
  }

  get wantsRows(): boolean {
    return !this.blocked;
  }

  /** Cheap checks before any query: a source or time window the batch cannot match. */
  mayMatch(n: BatchNotice): boolean {
    const f = this.filter;
    if (f.sources && !f.sources.includes(n.source)) return false;
    if (f.startMs !== null && Date.parse(n.max_timestamp) + 1 < f.startMs) return false;
    if (f.endMs !== null && Date.parse(n.min_timestamp) - 1 >= f.endMs) return false;
    return true;
  }

  /** `withheld`: no rows were read for the batch, as none of the group had room when it was read. */
  deliver(rows: LogRow[], total: number, withheld: boolean): void {
    // A stream that drained while the batch was read still had no room for it: its rows are slow drops too.
    const hadNoRoom = this.blocked || withheld;
    let sent = 0;
    for (const row of rows) {
      if (this.blocked) break;
      this.write(this.wire.frame('record', row));
      sent++;
    }
    this.metrics?.records.inc({ outcome: 'sent' }, sent);
    // Rows the client had no room for vs rows past the per-batch cap while it kept up.
    const slow = hadNoRoom ? total : rows.length - sent;
    this.metrics?.records.inc({ outcome: 'dropped_slow' }, slow);
    this.metrics?.records.inc({ outcome: 'dropped_cap' }, total - sent - slow);
    this.dropped += total - sent;
    this.flushDropped();
  }

  send(event: string, data: unknown): void {
    this.write(this.wire.frame(event, data));
  }

  /**
   * Ends the stream, with a last event saying why when there is one. A client that is not reading
   * cannot take it: its stream is cut at once; one that reads gets END_GRACE_MS to take the event before the cut.
   */
  finish(why: TailEnd, last?: { event: string; data: unknown }): void {
    if (this.stream.destroyed || this.stream.writableEnded) return;
    if (this.blocked) {
      this.stream.destroy();
      return;
    }
    this.wire.end(last && this.wire.frame(last.event, last.data), why);
    setTimeout(() => this.stream.destroy(), END_GRACE_MS).unref();
  }

  ping(): void {
    if (this.blocked) return;
    const text = this.wire.heartbeat();
    if (text !== null) this.write(text);
  }

  private flushDropped(): void {
    if (this.dropped === 0 || this.blocked) return;
    const dropped = this.dropped;
    this.dropped = 0;
    this.write(this.wire.frame('dropped', { dropped }));
  }

  private write(text: string): void {
    if (this.stream.destroyed || this.stream.writableEnded) return;
    if (this.stream.write(text) || this.blocked) return;
    this.blocked = true;
    this.idleTimer = setTimeout(() => {
      // Nothing read for idleMs: the client is gone or stuck, and it holds a slot; its socket goes too.
      this.opts.onIdle();
      this.stream.destroy();
    }, this.opts.idleMs).unref();
  }
}

/**
 * Live tail for this process: one LISTEN on the batch channel, fanned out to every open stream. For
 * each committed batch, each group of subscribers with the same filter reads the batch's matching
 * rows once (the same WHERE as GET /logs). Batches are handled one at a time in notification order,
 * so each stream sees records in ingestion order. Pending work is one small notice per batch.
 */
export class LogTail {
  private readonly subs = new Set<Subscriber>();
  private listening: Promise<() => Promise<void>> | undefined;
  private work: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;
  private keyRecheck: NodeJS.Timeout | undefined;
  private rechecking = false;
  private closed = false;

  constructor(private readonly db: Db, private readonly opts: LogTailOptions) {}

  /**
   * Throws TailFullError when a stream could not open now: on this server, or (given an owner) for
   * that owner. What subscribe checks; a caller may ask first, to refuse before committing to a
   * protocol (a WebSocket upgrade).
   */
  checkRoom(owner?: TailOwner): void {
    if (this.closed) throw new TailFullError('the server is shutting down');
    if (this.subs.size >= this.opts.maxSubscribers) throw new TailFullError(`${this.opts.maxSubscribers} live tails are open on this server`);
    if (!owner) return;
    let owned = 0;
    for (const s of this.subs) if (s.owner.slot === owner.slot) owned++;
    if (owned >= this.opts.maxPerOwner) {
      throw new TailFullError(`this API key already has ${this.opts.maxPerOwner} live tails open; close one first`, 'owner');
    }
  }

  /**
   * Resolves once the subscription is live, its stream already holding the `ready` event: batches
   * committed after the client reads `ready` are in the stream. The stream's close unsubscribes.
   * Server-Sent Events unless another wire is given; resolves to the wire's stream.
   */
  async subscribe(filter: RecordFilter, owner: TailOwner, wire: TailWire = sseWire()): Promise<Writable> {
    this.checkRoom(owner);
    const sub = new Subscriber(filter, JSON.stringify(filter), owner, wire, {
      idleMs: this.opts.idleMs,
      metrics: this.opts.metrics,
      onIdle: () => {
        this.opts.metrics?.ended.inc({ reason: 'idle' });
        this.opts.log.info({ idle_ms: this.opts.idleMs }, 'live tail: ended a stream whose client stopped reading');
      },
    });
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
    if (this.opts.activeKeys) this.keyRecheck ??= setInterval(() => void this.recheckKeys(), this.opts.keyRecheckMs).unref();
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
    clearInterval(this.keyRecheck);
    void this.listening?.then((unlisten) => unlisten()).catch(() => undefined);
    const subs = [...this.subs];
    const streams = subs.map((s) => s.stream);
    for (const sub of subs) sub.finish('shutdown');
    // A client that stopped reading never takes the end of its stream; past the grace period it is cut off.
    const closed = Promise.all(streams.map((s) => new Promise((resolve) => (s.closed ? resolve(null) : s.once('close', resolve)))));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const stream of streams) stream.destroy();
  }

  /** Ends at once the streams opened with a key this process just revoked. */
  endStreamsOfKey(keyId: number): void {
    for (const sub of this.subs) if (sub.owner.keyId === keyId) this.revoke(sub);
  }

  /**
   * Asks the database which keys of the open streams are still active, in one query, and ends the
   * streams of the others: a key revoked by another process (or by `loginsights keys revoke`) loses
   * its streams within keyRecheckMs. A failed check keeps the streams (the database may be away).
   */
  private async recheckKeys(): Promise<void> {
    if (this.rechecking || this.closed || !this.opts.activeKeys) return;
    const ids = [...new Set([...this.subs].flatMap((s) => (s.owner.keyId === undefined ? [] : [s.owner.keyId])))];
    if (ids.length === 0) return;
    this.rechecking = true;
    try {
      const active = await this.opts.activeKeys(ids);
      const asked = new Set(ids); // a stream opened while the query ran, with another key, was not asked about
      for (const sub of this.subs) {
        if (sub.owner.keyId !== undefined && asked.has(sub.owner.keyId) && !active.has(sub.owner.keyId)) this.revoke(sub);
      }
    } catch (err) {
      if (!this.closed) this.opts.log.warn({ err }, 'live tail: could not re-check the keys of open streams');
    } finally {
      this.rechecking = false;
    }
  }

  private revoke(sub: Subscriber): void {
    this.subs.delete(sub); // its slot is free now, whenever its socket goes
    this.opts.metrics?.subscribers.set(this.subs.size);
    this.opts.metrics?.ended.inc({ reason: 'revoked' });
    sub.finish('revoked', { event: 'revoked', data: { reason: 'the API key of this stream was revoked' } });
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
        const { rows, total } = await batchRecords(this.db, group[0]!.filter, notice, take);
        for (const sub of group) sub.deliver(rows, total, take === 0);
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

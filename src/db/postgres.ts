import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStream } from 'pg-copy-streams';
import {
  copySql, parseInt8, parseTimestamptz, quoteIdent, TYPE_OIDS, type Db, type ListenConnectionEvents, type Queryable, type QueryResult,
} from './db.js';
import { backoffMs } from './retry.js';

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (v: string) => unknown {
    if (oid === TYPE_OIDS.int8) return parseInt8;
    if (oid === TYPE_OIDS.timestamptz) return parseTimestamptz;
    if (oid === TYPE_OIDS.numeric) return Number;
    return pg.types.getTypeParser(oid, format ?? 'text') as (v: string) => unknown;
  },
};

function wrapClient(client: pg.PoolClient | pg.Pool): Queryable {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await client.query(sql, params as unknown[]);
      return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
    },
    async exec(sql) {
      await client.query(sql);
    },
    async copyFrom(table, columns, data, format) {
      if (!('release' in client)) throw new Error('copyFrom needs a transaction or session');
      const stream = client.query(copyFromStream(copySql(table, columns, 'STDIN', format)));
      await pipeline(Readable.from([data]), stream);
    },
  };
}

/**
 * Takes a client out of the pool for a transaction or a session. pg emits 'error' on a client whose
 * connection dies (a server restart sends FATAL 57P01, then closes the socket); the pool listens
 * only while a client is idle, and an 'error' event nobody listens to kills the process. So we
 * listen while the client is ours: the failure reaches the caller through its current or next
 * query ("not queryable"), and a broken client is destroyed on release, never pooled again.
 */
async function checkout(pool: pg.Pool): Promise<{ client: pg.PoolClient; release: (destroy: boolean) => void }> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error): void => {
    broken = err;
  };
  client.on('error', onError);
  return {
    client,
    release(destroy) {
      client.removeListener('error', onError);
      client.release(broken ?? destroy);
    },
  };
}

export interface PostgresOptions {
  connectionString: string;
  /** Applies to every statement of the pool; ingest and maintenance lift it (`unbounded`). */
  statementTimeoutMs: number;
  maxConnections?: number;
}

/** PostgreSQL ≥ 15 through a pg pool. */
export async function openPostgres(opts: PostgresOptions): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.maxConnections ?? 10,
    types,
    options: `-c TimeZone=UTC -c statement_timeout=${opts.statementTimeoutMs}`,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool drops it.
  pool.on('error', () => undefined);
  // The first query checks the connection too. autovacuum can be turned off server-wide (some CI and
  // bulk-load setups do); then nothing reclaims what rollup compaction deletes unless we do (vacuum.ts).
  let autovacuum: boolean;
  try {
    const res = await pool.query<{ on: boolean }>(
      "SELECT current_setting('autovacuum') = 'on' AND current_setting('track_counts') = 'on' AS on",
    );
    autovacuum = res.rows[0]!.on;
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const listener = new NotificationListener(opts.connectionString);
  const db: Db = {
    engine: 'postgres',
    singleBackend: false,
    autovacuum,
    soleProcess: false,
    ...wrapClient(pool),
    async copyFrom(table, columns, data, format) {
      await db.transaction((tx) => tx.copyFrom(table, columns, data, format));
    },
    async transaction(fn, opts = {}) {
      const { client, release } = await checkout(pool);
      try {
        await client.query('BEGIN');
        const settings = [
          ...(opts.unbounded ? ['SET LOCAL statement_timeout = 0'] : []),
          ...(opts.unflushedCommit ? ['SET LOCAL synchronous_commit = off'] : []),
        ];
        if (settings.length) await client.query(settings.join('; '));
        const result = await fn(wrapClient(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        release(false);
      }
    },
    async session(fn, opts = {}) {
      const { client, release } = await checkout(pool);
      try {
        if (opts.unbounded) await client.query('SET statement_timeout = 0');
        return await fn(wrapClient(client));
      } finally {
        // A session may have changed settings: close it rather than hand it back to the pool dirty.
        release(true);
      }
    },
    listen: (channel, onPayload, onConnection) => listener.listen(channel, onPayload, onConnection),
    setLockState: () => undefined,
    async close() {
      await listener.close();
      await pool.end();
    },
  };
  return db;
}

type Subscriber = { onPayload: (payload: string) => void; onConnection: ListenConnectionEvents | undefined };

/**
 * LISTEN needs a session of its own for as long as anyone listens: a pooled client would hand the
 * session to other work. One client per process serves every channel. When its connection drops (a
 * database restart), it reconnects with backoff and LISTENs again; NOTIFYs sent in between are gone
 * (PostgreSQL queues them only for sessions that are listening), which subscribers are told.
 */
class NotificationListener {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closed = false;

  constructor(private readonly connectionString: string) {}

  async listen(channel: string, onPayload: (payload: string) => void, onConnection?: ListenConnectionEvents): Promise<() => Promise<void>> {
    const sub: Subscriber = { onPayload, onConnection };
    let subs = this.channels.get(channel);
    const first = !subs;
    if (!subs) this.channels.set(channel, (subs = new Set()));
    subs.add(sub);
    try {
      const client = this.client ?? (await this.connect());
      // connect() LISTENs to the channels it knew when it began; LISTEN twice is a no-op, so no bookkeeping.
      if (first) await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (err) {
      subs.delete(sub);
      if (subs.size === 0) this.channels.delete(channel);
      throw err;
    }
    return async () => {
      if (!subs.delete(sub) || subs.size > 0) return;
      this.channels.delete(channel);
      await this.client?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<pg.Client> {
    this.connecting ??= (async () => {
      // TCP keepalive: an idle LISTEN session otherwise never notices a peer that vanished without a FIN.
      const client = new pg.Client({ connectionString: this.connectionString, keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: 10_000 });
      client.on('error', () => undefined); // reported through 'end' below; unhandled it would kill the process
      try {
        await client.connect();
        for (const channel of this.channels.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
      }
      client.on('notification', (msg) => {
        for (const sub of this.channels.get(msg.channel) ?? []) sub.onPayload(msg.payload ?? '');
      });
      client.once('end', () => this.lost(client));
      this.client = client;
      this.attempt = 0;
      return client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    const err = new Error('the LISTEN connection to PostgreSQL ended');
    for (const sub of this.subscribers()) sub.onConnection?.lost(err);
    this.reconnectLater();
  }

  private reconnectLater(): void {
    if (this.closed || this.channels.size === 0) return;
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        () => { for (const sub of this.subscribers()) sub.onConnection?.restored(); },
        () => this.reconnectLater(),
      );
    }, backoffMs(++this.attempt));
    this.retryTimer.unref();
  }

  private subscribers(): Subscriber[] {
    return [...this.channels.values()].flatMap((s) => [...s]);
  }
}

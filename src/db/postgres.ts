import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFromStream } from 'pg-copy-streams';
import { copySql, parseInt8, parseTimestamptz, TYPE_OIDS, type Db, type Queryable, type QueryResult } from './db.js';

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
  /** Applies to every statement of the pool; ingest and maintenance sessions lift it with SET LOCAL. */
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
  const db: Db = {
    kind: 'postgres',
    ...wrapClient(pool),
    async copyFrom(table, columns, data, format) {
      await db.transaction((tx) => tx.copyFrom(table, columns, data, format));
    },
    async transaction(fn) {
      const { client, release } = await checkout(pool);
      try {
        await client.query('BEGIN');
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
    async session(fn) {
      const { client, release } = await checkout(pool);
      try {
        return await fn(wrapClient(client));
      } finally {
        // A session may have changed settings: close it rather than hand it back to the pool dirty.
        release(true);
      }
    },
    async close() {
      await pool.end();
    },
  };
  await db.query('SELECT 1');
  return db;
}

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { lockDataDir, type LockOptions } from './dataDirLock.js';
import { copySql, parseInt8, parseTimestamptz, TYPE_OIDS, type Db, type Queryable, type QueryResult } from './db.js';

/**
 * PGlite runs each statement synchronously in this thread, and its own queue hands the backend from
 * one statement to the next through promise callbacks, so a queue of statements starves the event
 * loop: no timer (request deadlines, lease renewals) and no socket gets a turn until the queue is
 * empty (measured: a 100 ms timer fired after 4.4 s behind 100 queued statements). So statements
 * queue here instead, and each waits one event-loop turn (setImmediate, microseconds) before it runs.
 * A transaction takes one place in the queue; its own statements yield but do not queue.
 */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class StatementQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(yieldToEventLoop).then(fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function wrap(target: PGlite | Transaction, queue?: StatementQueue): Queryable {
  const run = <T>(fn: () => Promise<T>): Promise<T> => (queue ? queue.run(fn) : yieldToEventLoop().then(fn));
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const res = await run(() => target.query<R>(sql, params as unknown[]));
      // PGlite reports affectedRows 0 for a SELECT; pg's rowCount is the number of rows returned.
      return { rows: res.rows, rowCount: res.fields.length > 0 ? res.rows.length : (res.affectedRows ?? 0) };
    },
    async exec(sql) {
      await run(() => target.exec(sql));
    },
    async copyFrom(table, columns, data, format) {
      // PGlite reads COPY input from the virtual file /dev/blob (its documented COPY interface).
      await run(() => target.query(copySql(table, columns, "'/dev/blob'", format), [], { blob: new Blob([data]) }));
    },
  };
}

/**
 * Embedded PostgreSQL (PGlite, PostgreSQL compiled to WASM) with its files in dataDir.
 * One in-process backend: statements run one at a time, which PGlite serialises itself.
 * Only one process may open a data directory at a time: it is locked (dataDirLock.ts) before
 * anything reads or creates it, and released by close(). `lock` describes this process to a refused one.
 */
export async function openPglite(opts: { dataDir: string | undefined; statementTimeoutMs: number; lock?: LockOptions }): Promise<Db> {
  const lock = opts.dataDir ? await lockDataDir(opts.dataDir, opts.lock) : undefined;
  let pglite: PGlite;
  try {
    if (opts.dataDir && !fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await initDataDir(opts.dataDir);
    pglite = await PGlite.create({
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      extensions: { pg_trgm },
      parsers: {
        [TYPE_OIDS.int8]: parseInt8,
        [TYPE_OIDS.timestamptz]: parseTimestamptz,
        [TYPE_OIDS.numeric]: Number,
      },
    });
    await pglite.exec(`SET TimeZone = 'UTC'; SET statement_timeout = ${opts.statementTimeoutMs}`);
  } catch (err) {
    await lock?.release();
    throw err;
  }
  const queue = new StatementQueue();
  const base = wrap(pglite, queue);
  return {
    engine: 'pglite',
    singleBackend: true,
    autovacuum: false,
    soleProcess: true,
    ...base,
    // No options to honour: statement_timeout cannot interrupt the one backend (see singleBackend),
    // and a commit's flush is the in-process file system's.
    transaction: (fn) => queue.run(() => pglite.transaction((tx) => fn(wrap(tx)))),
    // PGlite has one session only; callers of session() restore any setting they change.
    session: (fn) => fn(base),
    // LISTEN is a statement like any other, so it takes its place in the queue. PGlite calls back
    // from a microtask while the notifying COMMIT is still being answered; callers must not wait on
    // a query inside the callback (the hub in src/search/tail.ts only enqueues). One in-process
    // backend: the connection cannot drop, so onConnection is never called.
    async listen(channel, onPayload) {
      const unlisten = await queue.run(() => pglite.listen(channel, onPayload));
      return () => queue.run(() => unlisten());
    },
    setLockState: (state) => lock?.update(state),
    async close() {
      // PGlite cannot interrupt a running statement: close() waits for the one in progress.
      try {
        await pglite.close();
      } finally {
        await lock?.release();
      }
    },
  };
}

/**
 * Creates a new data directory (initdb) in a short-lived worker thread. initdb runs its own WASM
 * instance whose memory the process would otherwise keep: measured here, a server that ran initdb
 * in-process sat at ~880 MB RSS, one that ran it in a worker at ~440 MB.
 */
async function initDataDir(dataDir: string): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  const pgliteModule = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const { PGlite } = require(workerData.pgliteModule);
     PGlite.create({ dataDir: workerData.dataDir }).then((db) => db.close());`,
    { eval: true, workerData: { pgliteModule, dataDir } },
  );
  await new Promise<void>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`PGlite initdb worker exited with code ${code}`))));
  });
}

/** What a query function needs: parameterised SQL and bulk COPY. Both adapters implement it. */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /**
   * Bulk-loads rows in PostgreSQL COPY text format (tab-separated, `\N` for NULL, one row per line),
   * or binary format, into `table (columns)`. Runs inside the caller's transaction when called on one.
   */
  copyFrom(table: string, columns: readonly string[], data: Uint8Array, format?: CopyFormat): Promise<void>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type CopyFormat = 'text' | 'binary';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export type DbKind = 'postgres' | 'pglite';

/**
 * The one database handle passed to every query function (no module-level pools). Code that must adapt
 * to the engine reads what it can do (singleBackend, autovacuum, soleProcess, the options below), never
 * which engine it is: the adapters (pglite.ts, postgres.ts) are the only places that know.
 */
export interface Db extends Queryable {
  /** The engine's name, for display only (readiness, logs). */
  readonly engine: DbKind;
  /**
   * One in-process backend runs every statement of the process in turn (PGlite): nothing runs beside
   * an open transaction, and a running statement cannot be interrupted (statement_timeout never fires),
   * so one long statement holds up every request. Callers bound the scans no index serves, and heavy
   * upkeep (index builds, vacuum) waits until ingestion is idle. False on PostgreSQL: a pool of
   * sessions working side by side, each statement cancelled past statement_timeout.
   */
  readonly singleBackend: boolean;
  /**
   * The engine vacuums and analyses tables itself: PostgreSQL with its `autovacuum` (and the
   * `track_counts` it needs) on, as read when the handle opened. PGlite has none; nor has a server
   * run with autovacuum off. vacuum.ts stands in for it there.
   */
  readonly autovacuum: boolean;
  /**
   * No other process can open this database (PGlite's data directory is locked): whatever another
   * process seems to hold, such as an ingest job's lease, was left by this one's predecessor.
   */
  readonly soleProcess: boolean;
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Runs fn on one dedicated session outside any transaction, for statements PostgreSQL refuses
   * inside one (CREATE INDEX CONCURRENTLY) and for session settings.
   */
  session<T>(fn: (s: Queryable) => Promise<T>, opts?: Pick<TransactionOptions, 'unbounded'>): Promise<T>;
  /**
   * Calls onPayload with the payload of every NOTIFY on channel (from any session, this one included)
   * until the returned function is called. PostgreSQL: one dedicated connection outside the pool that
   * reconnects on its own; notifications sent while it is away are lost (onConnection says when).
   */
  listen(channel: string, onPayload: (payload: string) => void, onConnection?: ListenConnectionEvents): Promise<() => Promise<void>>;
  /**
   * Tells a process refused the same embedded data directory what this one is doing: the server's
   * URL once it listens, `stopping` once shutdown begins (PGlite's lock, see dataDirLock.ts). Nothing
   * on PostgreSQL, where any number of processes share the database.
   */
  setLockState(state: LockState): void;
  /** Closes the connections; PGlite also releases its data directory's lock. */
  close(): Promise<void>;
}

export interface TransactionOptions {
  /**
   * No statement_timeout: for ingestion and maintenance, whose statements take as long as the data
   * needs, where the timeout guards requests. (PGlite has none to lift.)
   */
  unbounded?: boolean;
  /**
   * COMMIT does not wait for the WAL to reach disk (synchronous_commit off): a database crash may lose
   * the transaction, whole. Only for work that finds out and redoes it (ingest batches and their checkpoint).
   */
  unflushedCommit?: boolean;
}

export interface LockState {
  url?: string;
  stopping?: boolean;
}

export interface ListenConnectionEvents {
  /** The listening connection dropped; it reconnects with backoff. */
  lost(err: Error): void;
  /** Listening again after a loss: notifications in between were missed. */
  restored(): void;
}

/** Builds `COPY table (a, b) FROM <src>`; identifiers come from our code, never from input, but are quoted anyway. */
export function copySql(table: string, columns: readonly string[], from: string, format: CopyFormat = 'text'): string {
  const cols = columns.map(quoteIdent).join(', ');
  return `COPY ${quoteIdent(table)} (${cols}) FROM ${from}${format === 'binary' ? ' WITH (FORMAT binary)' : ''}`;
}

/** `WHERE a AND b …` for the conditions, or nothing when there are none. */
export function whereClause(conditions: readonly string[]): string {
  return conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Both adapters return the same JavaScript values: bigint → number (counts and ids stay far below 2^53),
 * timestamptz → ISO 8601 text in UTC with microseconds kept (a JS Date would drop them).
 */
export const TYPE_OIDS = { int8: 20, timestamptz: 1184, numeric: 1700 } as const;

export function parseInt8(v: string): number {
  return Number(v);
}

/** `2026-10-10 13:55:36.123456+00` (session TimeZone is UTC) → `2026-10-10T13:55:36.123456Z`. */
export function parseTimestamptz(v: string): string {
  const plus = v.lastIndexOf('+');
  const base = plus > 10 ? v.slice(0, plus) : v;
  return `${base.replace(' ', 'T')}Z`;
}

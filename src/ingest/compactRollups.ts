import type { Db, Queryable } from '../db/db.js';
import { isRetryableDbError } from '../db/retry.js';
import { HLL_REGISTERS, hllMerge } from '../domain/hyperLogLog.js';
import { compactPartsSql } from '../db/rollupSql.js';
import { NARROW_ROLLUPS, SKETCH_TABLES } from '../db/rollupTables.js';
import { refreshClientTops } from './clientTops.js';
import { insertSketches, ROLLUP_WRITE_LOCK } from './rollups.js';

/** Buckets compacted per transaction: short transactions, so ingest batches never wait long. */
const BUCKETS_PER_PASS = 20;
/** A bucket whose compaction failed is retried after this, doubled with each failure up to RETRY_MAX_MS. */
const RETRY_FIRST_MS = 60_000;
const RETRY_MAX_MS = 3_600_000;
/** The stored error is for a person; a message is rarely longer, a stack is not kept. */
const MAX_ERROR_CHARS = 1000;

type BucketTable = 'rollups_1h' | 'rollups_1d';

/**
 * Merges the parts of each key of one hour or day bucket into a single row, in the rollup table and
 * in its per-route and per-source tables (a batch appends to all three), and the bucket's client
 * sketches; for a day, also recounts its busiest clients unless told not to (`recountClients`). One
 * statement per table: the DELETE sees the parts committed when it starts, and parts that batches
 * add meanwhile stay for the next compaction (their bucket is marked dirty again), so nothing is
 * counted twice or lost.
 */
export async function compactBucket(tx: Queryable, table: BucketTable, bucket: string, recountClients = true): Promise<void> {
  for (const t of [table, NARROW_ROLLUPS.route[table], NARROW_ROLLUPS.source[table]]) await tx.query(compactPartsSql(t), [bucket]);
  await compactSketches(tx, SKETCH_TABLES[table], bucket);
  if (table === 'rollups_1d' && recountClients) await refreshClientTops(tx, bucket);
}

/** Merges the distinct-client sketch parts of one bucket into one sketch per source (in this process: registers' maxima). */
async function compactSketches(tx: Queryable, table: string, bucket: string): Promise<void> {
  const parts = await tx.query<{ source: string; registers: Uint8Array }>(`DELETE FROM ${table} WHERE bucket = $1 RETURNING source, registers`, [bucket]);
  const merged = new Map<string, Uint8Array>();
  for (const p of parts.rows) {
    let m = merged.get(p.source);
    if (m === undefined) merged.set(p.source, (m = new Uint8Array(HLL_REGISTERS)));
    hllMerge(m, p.registers);
  }
  await insertSketches(tx, table, [...merged].map(([source, registers]) => ({ bucket, source, registers })));
}

export interface CompactOptions {
  /** Leave buckets that received parts more recently than this (ingestion is still writing them). */
  quietMs: number;
  /** …unless they were first marked longer ago than this (a long ingest still gets compacted now and then). */
  maxDelayMs: number;
  /** Told of each bucket whose compaction failed (once per try: the back-off spaces them out). */
  onBucketFailed?: (failure: CompactFailure) => void;
  /** Stops between passes (shutdown); the buckets not reached stay marked for the next run. */
  signal?: AbortSignal;
}

/** A bucket left dirty because its compaction failed, as rollup_dirty records it. */
export interface CompactFailure {
  /** The rollup table, or client_tops_1d for a day's recount of its busiest clients. */
  table: DirtyBucket['rollup_table'];
  bucket: string;
  error: string;
  /** Failures in a row, this one included. */
  failures: number;
  retryAt: string;
}

/**
 * A day whose busiest clients are to be recounted once it is over (a mark in rollup_dirty beside the
 * rollup tables' marks): its day bucket was compacted while the day was still being written.
 */
const CLIENT_RECOUNT = 'client_tops_1d';

interface DirtyBucket {
  rollup_table: BucketTable | typeof CLIENT_RECOUNT;
  bucket: string;
  failures: number;
  /** A day bucket whose day is not over (today, written by live sources). */
  open_day: boolean;
}

/**
 * Compacts the hour and day buckets that batches appended parts to (rollup_dirty), a few per
 * transaction, until none is due. A bucket is due once no batch has written to it for `quietMs`:
 * compacting a day that ingestion is still filling would be redone at its next batch, and costs
 * the database CPU that ingestion needs. Takes the rollup lock shared, like ingest batches: a
 * rebuild (exclusive) never runs at the same time. Each bucket is compacted under its own savepoint:
 * one that fails (bad data, a constraint) is rolled back alone, recorded with its error and skipped
 * until its retry time, and the others go on; before, one such bucket failed every pass and no later
 * bucket was ever compacted. Returns the number of buckets compacted.
 */
export async function compactRollups(db: Db, opts: CompactOptions = { quietMs: 0, maxDelayMs: 0 }): Promise<number> {
  let done = 0;
  for (;;) {
    const { taken, compacted } = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [ROLLUP_WRITE_LOCK]);
      // Row locks until commit: a batch marking one of these buckets meanwhile waits, then marks it anew.
      const dirty = await tx.query<DirtyBucket>(
        `SELECT rollup_table, bucket, failures, rollup_table = 'rollups_1d' AND bucket + interval '1 day' > now() AS open_day FROM rollup_dirty
         WHERE (last_marked_at <= now() - $1::integer * interval '1 millisecond' OR first_marked_at <= now() - $2::integer * interval '1 millisecond')
           AND (retry_at IS NULL OR retry_at <= now())
           AND (rollup_table <> '${CLIENT_RECOUNT}' OR bucket + interval '1 day' <= now())
         ORDER BY bucket, rollup_table LIMIT ${BUCKETS_PER_PASS} FOR UPDATE SKIP LOCKED`,
        [opts.quietMs, opts.maxDelayMs],
      );
      let compacted = 0;
      for (const d of dirty.rows) if (await compactOrRecord(tx, d, opts.onBucketFailed)) compacted++;
      return { taken: dirty.rows.length, compacted };
    });
    done += compacted;
    if (taken < BUCKETS_PER_PASS || opts.signal?.aborted) return done;
  }
}

/**
 * Compacts one bucket under a savepoint and clears its mark; on failure, records it instead. True when compacted.
 *
 * Today's day bucket is merged, but its busiest clients are recounted only once the day is over: the
 * recount scans the day's raw rows, which a live source grows all day (tens of seconds at 10M rows),
 * while every batch that marks the day waits for this transaction's row lock; and the lists would be
 * stale at the next batch anyway. Until then the day has no lists, so queries read its clients from
 * the raw rows (as they do for any day written since its last compaction).
 */
async function compactOrRecord(tx: Queryable, d: DirtyBucket, onFailed: CompactOptions['onBucketFailed']): Promise<boolean> {
  await tx.exec('SAVEPOINT compact_bucket');
  try {
    if (d.rollup_table === CLIENT_RECOUNT) await refreshClientTops(tx, d.bucket);
    else await compactBucket(tx, d.rollup_table, d.bucket, !d.open_day);
    if (d.open_day) {
      for (const table of ['client_tops_1d', 'client_top_floors_1d']) await tx.query(`DELETE FROM ${table} WHERE bucket = $1`, [d.bucket]);
      await tx.query(
        `INSERT INTO rollup_dirty (rollup_table, bucket) VALUES ('${CLIENT_RECOUNT}', $1) ON CONFLICT (rollup_table, bucket) DO UPDATE SET last_marked_at = now()`, [d.bucket],
      );
    }
    await tx.query('DELETE FROM rollup_dirty WHERE rollup_table = $1 AND bucket = $2', [d.rollup_table, d.bucket]);
    await tx.exec('RELEASE SAVEPOINT compact_bucket');
    return true;
  } catch (err) {
    // A lost connection or a deadlock is not the bucket's fault: the pass fails, the next tick retries it.
    if (isRetryableDbError(err)) throw err;
    await tx.exec('ROLLBACK TO SAVEPOINT compact_bucket');
    const error = (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_CHARS);
    const waitMs = Math.min(RETRY_FIRST_MS * 2 ** d.failures, RETRY_MAX_MS);
    const res = await tx.query<{ retry_at: string }>(
      `UPDATE rollup_dirty SET failures = failures + 1, failed_at = now(), error = $3, retry_at = now() + $4::integer * interval '1 millisecond'
       WHERE rollup_table = $1 AND bucket = $2 RETURNING retry_at`,
      [d.rollup_table, d.bucket, error, waitMs],
    );
    onFailed?.({ table: d.rollup_table, bucket: d.bucket, error, failures: d.failures + 1, retryAt: res.rows[0]?.retry_at ?? '' });
    return false;
  }
}

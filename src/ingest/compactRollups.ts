import type { Db, Queryable } from '../db/db.js';
import { HLL_REGISTERS, hllMerge } from '../domain/hyperLogLog.js';
import { APPENDED_TABLES, rollupColumns, NARROW_ROLLUPS, SKETCH_TABLES, type AppendedTableName } from '../db/rollupTables.js';
import { refreshClientTops } from './clientTops.js';
import { insertSketches, ROLLUP_WRITE_LOCK } from './rollups.js';

/** Buckets compacted per transaction: short transactions, so ingest batches never wait long. */
const BUCKETS_PER_PASS = 20;

/**
 * Merges the parts of each key of one hour or day bucket into a single row, in the rollup table and
 * in its per-route and per-source tables (a batch appends to all three), and the bucket's client
 * sketches; for a day, also recounts its busiest clients. One statement per table: the DELETE sees the parts committed when it starts, and parts
 * that batches add meanwhile stay for the next compaction (their bucket is marked dirty again), so
 * nothing is counted twice or lost.
 */
export async function compactBucket(tx: Queryable, table: 'rollups_1h' | 'rollups_1d', bucket: string): Promise<void> {
  for (const t of [table, NARROW_ROLLUPS.route[table], NARROW_ROLLUPS.source[table]]) await compactParts(tx, t, bucket);
  await compactSketches(tx, SKETCH_TABLES[table], bucket);
  if (table === 'rollups_1d') await refreshClientTops(tx, bucket);
}

async function compactParts(tx: Queryable, table: AppendedTableName, bucket: string): Promise<void> {
  const { key, sums, histogram } = APPENDED_TABLES[table];
  const keyList = key.join(', ');
  const totals = `${sums.map((c) => `sum(${c}) AS ${c}`).join(', ')}, max(latency_max_ms) AS latency_max_ms`;
  await tx.query(
    histogram
      ? `WITH parts AS (DELETE FROM ${table} WHERE bucket = $1 RETURNING *),
         merged AS (
           SELECT ${keyList}, ${totals}, int_array_cat(latency_buckets) AS all_buckets, int_array_cat(latency_counts) AS all_counts
           FROM parts GROUP BY ${keyList})
         INSERT INTO ${table} (${rollupColumns(table).join(', ')})
         SELECT ${keyList}, ${sums.join(', ')}, latency_max_ms, h.buckets, h.counts
         FROM merged, LATERAL latency_hist_canon(all_buckets, all_counts) AS h`
      : `WITH parts AS (DELETE FROM ${table} WHERE bucket = $1 RETURNING *)
         INSERT INTO ${table} (${rollupColumns(table).join(', ')})
         SELECT ${keyList}, ${totals} FROM parts GROUP BY ${keyList}`,
    [bucket],
  );
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
  /** Stops between passes (shutdown); the buckets not reached stay marked for the next run. */
  signal?: AbortSignal;
}

/**
 * Compacts the hour and day buckets that batches appended parts to (rollup_dirty), a few per
 * transaction, until none is due. A bucket is due once no batch has written to it for `quietMs`:
 * compacting a day that ingestion is still filling would be redone at its next batch, and costs
 * the database CPU that ingestion needs. Takes the rollup lock shared, like ingest batches: a
 * rebuild (exclusive) never runs at the same time. Returns the number of buckets compacted.
 */
export async function compactRollups(db: Db, opts: CompactOptions = { quietMs: 0, maxDelayMs: 0 }): Promise<number> {
  let done = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [ROLLUP_WRITE_LOCK]);
      const dirty = await tx.query<{ rollup_table: 'rollups_1h' | 'rollups_1d'; bucket: string }>(
        `DELETE FROM rollup_dirty WHERE (rollup_table, bucket) IN (
           SELECT rollup_table, bucket FROM rollup_dirty
           WHERE last_marked_at <= now() - $1::integer * interval '1 millisecond' OR first_marked_at <= now() - $2::integer * interval '1 millisecond'
           ORDER BY bucket, rollup_table LIMIT ${BUCKETS_PER_PASS} FOR UPDATE SKIP LOCKED)
         RETURNING rollup_table, bucket`,
        [opts.quietMs, opts.maxDelayMs],
      );
      for (const d of dirty.rows) await compactBucket(tx, d.rollup_table, d.bucket);
      return dirty.rows.length;
    });
    done += n;
    if (n < BUCKETS_PER_PASS || opts.signal?.aborted) return done;
  }
}

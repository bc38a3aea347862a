import type { Db, Queryable } from './db.js';
import { PARTITION_LOCK, partitionCoversSql, partitionTableName } from './partitions.js';
import { rollupTableNames, SKETCH_TABLES } from './rollupTables.js';

/**
 * Retention, written once: what lies past a horizon (a day, YYYY-MM-DD) is both what retentionDue
 * looks for and what the drops and deletes below remove, so the check can never disagree with the work.
 */
const partitionPastSql = (horizon: string): string => `end_day <= ${horizon}::date`;

/**
 * A rollup row (alias t) before the horizon whose raw rows are gone (no partition covers its day any
 * more). Rollups never disappear before the raw rows they sum: an upload of last year's logs keeps its
 * analytics as long as its rows are kept.
 */
const rollupPastSql = (horizon: string): string =>
  `t.bucket < ${horizon}::date AND NOT ${partitionCoversSql("(t.bucket AT TIME ZONE 'UTC')::date")}`;

/** The retention horizons (days, YYYY-MM-DD); null: kept for ever. */
export interface RetentionHorizons {
  logsBefore: string | null;
  rollupsBefore: string | null;
}

/** Whether retention has work: a partition wholly before its horizon, or a day of rollups past its own. Two index probes. */
export async function retentionDue(db: Queryable, h: RetentionHorizons): Promise<boolean> {
  const res = await db.query<{ due: boolean }>(
    `SELECT ($1::date IS NOT NULL AND EXISTS (SELECT 1 FROM log_partitions WHERE ${partitionPastSql('$1')}))
         OR ($2::date IS NOT NULL AND EXISTS (SELECT 1 FROM rollups_1d t WHERE ${rollupPastSql('$2')})) AS due`,
    [h.logsBefore, h.rollupsBefore],
  );
  return res.rows[0]?.due ?? false;
}

/**
 * Drops the partitions whose whole range lies before `day` (the retention horizon): no DELETE, no
 * vacuum debt. A month partition is therefore kept until its last day is past the horizon.
 */
export async function dropPartitionsBefore(db: Db, day: string): Promise<string[]> {
  const old = await db.query<{ day: string; end_day: string }>(
    `SELECT day::text AS day, end_day::text AS end_day FROM log_partitions WHERE ${partitionPastSql('$1')} ORDER BY day`,
    [day],
  );
  const dropped: string[] = [];
  for (const p of old.rows) {
    const name = partitionTableName({ day: p.day, endDay: p.end_day });
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      await tx.query(`DROP TABLE IF EXISTS ${name}`);
      await tx.query('DELETE FROM log_partitions WHERE day = $1::date', [p.day]);
      // The substring filters of its rows' blocks (a block over the partition's end stays for the next one's rows).
      await tx.query(`DELETE FROM log_search_blocks WHERE max_ts < ($1::date::timestamp AT TIME ZONE 'UTC')`, [p.end_day]);
    });
    dropped.push(name);
  }
  return dropped;
}

/** Rollup retention: deletes the rollups (and sketches, client tops, dirty marks) of buckets past `day`. Returns the rollup rows deleted. */
export async function deleteRollupsBefore(db: Queryable, day: string): Promise<number> {
  let deleted = 0;
  const gone = (table: string): string => `DELETE FROM ${table} AS t WHERE ${rollupPastSql('$1')}`;
  for (const table of rollupTableNames()) deleted += (await db.query(gone(table), [day])).rowCount;
  for (const table of Object.values(SKETCH_TABLES)) await db.query(gone(table), [day]);
  for (const table of ['client_tops_1d', 'client_top_floors_1d', 'rollup_dirty']) await db.query(gone(table), [day]);
  return deleted;
}

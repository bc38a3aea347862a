import type { Db, Queryable } from './db.js';
import {
  choosePartition, monthRange, partitionTableName, rangeKind, type PartitionKind, type PartitionRange,
} from './partitionPlan.js';

export { partitionTableName, type PartitionKind, type PartitionRange } from './partitionPlan.js';

/**
 * Advisory lock around "read log_partitions, decide, create, record": two processes sharing a
 * PostgreSQL could otherwise decide a day and a month partition for the same month at once, and the
 * second CREATE would fail on the overlap. Retention (retention.ts) takes it too, so a plan never counts on a
 * partition being dropped meanwhile. On PGlite a transaction holds the one backend anyway.
 */
export const PARTITION_LOCK = 7_402_004;

/** A partition spans at most a month: a day is covered by one starting at most this many days before it. */
const MAX_PARTITION_DAYS = 31;

/**
 * SQL true when a partition covers the UTC day `dayExpr` (a date expression from our code). The lower
 * bound on `day` keeps it an index range of at most a month's rows, not a walk over every older partition.
 */
export function partitionCoversSql(dayExpr: string): string {
  return `EXISTS (SELECT 1 FROM log_partitions p WHERE p.day <= ${dayExpr} AND p.day > ${dayExpr} - ${MAX_PARTITION_DAYS} AND p.end_day > ${dayExpr})`;
}

/** The partitions overlapping [fromDay, toDay) (days as YYYY-MM-DD), oldest first. */
export async function partitionsOverlapping(db: Queryable, fromDay: string, toDay: string): Promise<PartitionRange[]> {
  const res = await db.query<{ day: string; end_day: string }>(
    `SELECT day::text AS day, end_day::text AS end_day FROM log_partitions
     WHERE day < $2::date AND day > $1::date - ${MAX_PARTITION_DAYS} AND end_day > $1::date ORDER BY day`,
    [fromDay, toDay],
  );
  return res.rows.map((r) => ({ day: r.day, endDay: r.end_day }));
}

/**
 * Which table holds each day, as far as this process knows (a cache: retention in any process may
 * drop a partition; the writer then clears it and asks again). Months with a month partition are
 * kept by month, so a month of old data costs one entry and one lookup.
 */
export class PartitionCache {
  private readonly days = new Map<string, PartitionRange>();
  private readonly months = new Map<string, PartitionRange>();

  /** The range holding `day`, or undefined when not known. */
  rangeOf(day: string): PartitionRange | undefined {
    return this.months.get(day.slice(0, 7)) ?? this.days.get(day);
  }

  tableOf(day: string): string {
    const r = this.rangeOf(day);
    if (!r) throw new Error(`no partition known for ${day}`);
    return partitionTableName(r);
  }

  add(r: PartitionRange): void {
    if (rangeKind(r) === 'month') this.months.set(r.day.slice(0, 7), r);
    else this.days.set(r.day, r);
  }

  clear(): void {
    this.days.clear();
    this.months.clear();
  }
}

/**
 * Makes sure a partition holds each day, creating what is missing (choosePartition decides the kind),
 * and records in `cache` where each day goes. Days already in the cache cost nothing; the others one
 * read of log_partitions, and one short transaction per partition to create: CREATE TABLE … PARTITION
 * OF takes an ACCESS EXCLUSIVE lock on `logs`, which must not be held for a batch, nor for a batch's
 * hundreds of new month partitions at once.
 */
export async function ensurePartitions(
  db: Db, wanted: readonly { day: string; wants: PartitionKind }[], cache: PartitionCache,
): Promise<void> {
  const missing = wanted.filter((w) => !cache.rangeOf(w.day)).sort((a, b) => (a.day < b.day ? -1 : 1));
  if (missing.length === 0) return;
  // Without the lock: a partition that exists stays until retention drops it (then the COPY fails
  // with undefined_table and the writer asks again).
  const first = monthRange(missing[0]!.day).day;
  const last = monthRange(missing[missing.length - 1]!.day).endDay;
  for (const r of await partitionsOverlapping(db, first, last)) cache.add(r);
  for (const w of missing) {
    if (cache.rangeOf(w.day)) continue; // a month partition created for an earlier day covers it
    const range = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      const month = monthRange(w.day);
      const choice = choosePartition(w.day, w.wants, await partitionsOverlapping(tx, month.day, month.endDay));
      if (choice.create) await createPartition(tx, choice.range);
      return choice.range;
    });
    cache.add(range);
  }
}

async function createPartition(tx: Queryable, r: PartitionRange): Promise<void> {
  const name = partitionTableName(r);
  // IF NOT EXISTS: a table left by a version that created it in a transaction of its own, before
  // recording it (the row below then records it).
  await tx.query(
    `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF logs FOR VALUES FROM ('${r.day}T00:00:00Z') TO ('${r.endDay}T00:00:00Z')`,
  );
  await tx.query(
    'INSERT INTO log_partitions (day, end_day, table_name) VALUES ($1, $2, $3) ON CONFLICT (day) DO NOTHING',
    [r.day, r.endDay, name],
  );
}

/** Marks partitions as written now (the search indexer waits for them to go quiet). */
export async function touchPartitions(tx: Queryable, tables: readonly string[]): Promise<void> {
  if (tables.length === 0) return;
  await tx.query('UPDATE log_partitions SET last_write_at = now() WHERE table_name = ANY($1::text[])', [tables]);
}

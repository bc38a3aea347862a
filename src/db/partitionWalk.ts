import type { Queryable, QueryResult } from './db.js';

interface PartitionRow {
  day: string;
  end_day: string;
}

/**
 * Reading `logs` a few partitions at a time. A statement over `logs` without time bounds plans over,
 * and locks, every partition with its indexes: at thousands of partitions that alone took seconds,
 * and at tens of thousands it ran out of lock space (issue 13). A reader instead takes the partitions
 * overlapping its range from log_partitions and gives each statement the time bounds of a few of them,
 * so that pruning leaves those.
 */

/** At most this many partitions per statement. */
export const MAX_PARTITIONS_PER_STATEMENT = 32;
/** Partitions read from log_partitions at a time (a newest-first walk's first 1 + 2 + … + 32 steps). */
const PAGE = 64;

/**
 * The time range a reader needs; ISO 8601 text, null for unbounded. The reader's statements must hold
 * these bounds themselves, as conditions on `timestamp` (the cursor's as `timestamp <= …`): chunk
 * bounds that they make redundant are left out (see PartitionChunk).
 */
export interface WalkRange {
  /** Inclusive start. */
  from: string | null;
  /** Exclusive end. */
  before: string | null;
  /** Inclusive end (a keyset cursor's timestamp), beside `before`. */
  atOrBefore?: string | null;
}

/**
 * [from, to) of consecutive partitions: a statement bounded by it is pruned to them. A bound is null
 * where no partition of the range lies beyond it (the newest chunk's end, the oldest chunk's start):
 * the range's own bounds prune there, and one bound fewer matters. A two-sided range on a partition
 * not analysed yet (just written) gets PostgreSQL's default selectivity of 0.5%, and the planner then
 * ANDs a bitmap of the whole partition's primary key to the trigram index's few rows (measured: 19 ms
 * instead of 0.2 for a rare substring in a day of 300,000 rows).
 */
export interface PartitionChunk {
  from: string | null;
  to: string | null;
  partitions: number;
}

/**
 * Chunks of the partitions overlapping `range`, in time order (`newest` or `oldest` first), read
 * from log_partitions a page at a time. `growing`: 1, 2, 4 … MAX_PARTITIONS_PER_STATEMENT partitions
 * per chunk, for readers that usually stop early (a page of search results); otherwise always the
 * most, for readers of the whole range.
 */
export async function* partitionChunks(
  db: Queryable, range: WalkRange, order: 'newest' | 'oldest', growing = false,
): AsyncGenerator<PartitionChunk> {
  const newest = order === 'newest';
  let size = growing ? 1 : MAX_PARTITIONS_PER_STATEMENT;
  let after: string | null = null;
  let pending: PartitionRow[] = [];
  let exhausted = false;
  let first = true;
  for (;;) {
    if (pending.length < size && !exhausted) {
      const page: QueryResult<PartitionRow> = await db.query<PartitionRow>(
        // A partition's bounds as instants: midnight UTC of its days, whatever the session's TimeZone.
        `SELECT day::text AS day, end_day::text AS end_day FROM log_partitions
         WHERE ($1::timestamptz IS NULL OR (end_day::timestamp AT TIME ZONE 'UTC') > $1::timestamptz)
           AND ($2::timestamptz IS NULL OR (day::timestamp AT TIME ZONE 'UTC') < $2::timestamptz)
           AND ($3::timestamptz IS NULL OR (day::timestamp AT TIME ZONE 'UTC') <= $3::timestamptz)
           AND ($4::date IS NULL OR day ${newest ? '<' : '>'} $4::date)
         ORDER BY day ${newest ? 'DESC' : 'ASC'} LIMIT ${PAGE}`,
        [range.from, range.before, range.atOrBefore ?? null, after],
      );
      pending = pending.concat(page.rows);
      exhausted = page.rows.length < PAGE;
      after = page.rows.at(-1)?.day ?? after;
    }
    if (pending.length === 0) return;
    const taken = pending.splice(0, size);
    const last = pending.length === 0 && exhausted;
    const oldest = newest ? taken[taken.length - 1]! : taken[0]!;
    const latest = newest ? taken[0]! : taken[taken.length - 1]!;
    yield {
      from: (newest ? last : first) ? null : `${oldest.day}T00:00:00Z`,
      to: (newest ? first : last) ? null : `${latest.end_day}T00:00:00Z`,
      partitions: taken.length,
    };
    first = false;
    size = Math.min(size * 2, MAX_PARTITIONS_PER_STATEMENT);
  }
}

/** Every chunk of the range, oldest first, each of MAX_PARTITIONS_PER_STATEMENT partitions (the last one fewer). */
export async function allPartitionChunks(db: Queryable, range: WalkRange): Promise<PartitionChunk[]> {
  const chunks: PartitionChunk[] = [];
  for await (const c of partitionChunks(db, range, 'oldest')) chunks.push(c);
  return chunks;
}

/** Conditions bounding `column` to a chunk (none for a null bound); the values are appended to `params`. */
export function chunkConditions(column: string, chunk: PartitionChunk, params: unknown[]): string[] {
  const where: string[] = [];
  if (chunk.from !== null) {
    params.push(chunk.from);
    where.push(`${column} >= $${params.length}::timestamptz`);
  }
  if (chunk.to !== null) {
    params.push(chunk.to);
    where.push(`${column} < $${params.length}::timestamptz`);
  }
  return where;
}

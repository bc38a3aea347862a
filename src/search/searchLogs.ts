import type { LogRow } from '../domain/record.js';
import { whereClause, type Queryable } from '../db/db.js';
import { chunkConditions, partitionChunks, type PartitionChunk } from '../db/partitionWalk.js';
import type { BatchNotice } from '../domain/batchNotice.js';
import { isApiTimestamp } from '../domain/apiTimestamp.js';
import { filterConditions, RECORDS } from '../query/compileFilter.js';
import { FilterError } from '../query/filterParams.js';
import type { RecordFilter } from '../query/recordFilter.js';
import { layoutName } from '../parse/layoutIds.js';
import { searchSlices } from './searchIndexer.js';
import { substringBits } from '../domain/trigramBloom.js';

export type { LogRow } from '../domain/record.js';

const COLUMNS = `id, timestamp, log_level, status_code, method, endpoint, protocol, message, latency_ms, client_ip,
  bytes_sent, user_agent, referer, host, source, job_id, line_no, line_count, raw_log, layout, route`;

/** A row as selected: the layout as its stored id (src/parse/layoutIds.ts). */
type StoredRow = Omit<LogRow, 'layout'> & { layout: number | null };

function named(rows: StoredRow[]): LogRow[] {
  return rows.map((r) => ({ ...r, layout: layoutName(r.layout) }));
}

export interface Cursor {
  timestamp: string;
  id: number;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.timestamp, c.id])).toString('base64url');
}

/** Only what encodeCursor writes: a timestamp as the API writes it and a record id (anything else would reach SQL casts). */
export function decodeCursor(value: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && isApiTimestamp(parsed[0])
      && typeof parsed[1] === 'number' && Number.isSafeInteger(parsed[1]) && parsed[1] >= 0) {
      return { timestamp: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new FilterError('cursor', 'not a cursor returned by this API');
}

/**
 * Newest first, keyset-paginated on (timestamp, id) — the primary key — so page 1000 costs what
 * page 1 costs. One extra row is fetched to know whether a next page exists. The partitions are
 * walked newest first, 1, 2, 4 … 32 at a time (src/db/partitionWalk.ts), until the page is full or
 * the range is exhausted: a statement over `logs` without a narrow time range would plan over, and
 * lock, every partition. Each statement is bounded to its partitions, so the rows, their order and
 * the cursor are those of the one statement over `logs`. A substring (`q`) on a partition without
 * its trigram index is looked for through its blocks' filters (searchBlocks), or on a partition from
 * before them, through its slices' indexes.
 */
export async function searchLogs(
  db: Queryable,
  filter: RecordFilter,
  page: { limit: number; cursor?: Cursor | undefined },
): Promise<{ items: LogRow[]; next_cursor: string | null }> {
  const wanted = page.limit + 1;
  const rows: LogRow[] = [];
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  const range = { from: iso(filter.startMs), before: iso(filter.endMs), atOrBefore: page.cursor?.timestamp ?? null };
  // A substring on a partition that still grows: its closed slices have trigram indexes of their own,
  // and a partition written with blocks has their filters.
  const slices = filter.q !== undefined ? await searchSlices(db, filter.startMs, filter.endMs) : [];
  const bits = filter.q !== undefined ? substringBits(filter.q) : null;
  const blocked = bits ? await blockSearchedPartitions(db, filter.startMs, filter.endMs) : [];
  /** The filter's conditions, the cursor's and the piece's bounds: what every statement of the search holds. */
  const conditions = (piece: PartitionChunk, params: unknown[]): string[] => {
    const where = filterConditions(filter, RECORDS, params);
    if (page.cursor) {
      params.push(page.cursor.timestamp, page.cursor.id);
      // The first condition is implied by the second; PostgreSQL prunes partitions by it, not by a row comparison.
      where.push(
        `timestamp <= $${params.length - 1}::timestamptz`,
        `(timestamp, id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`,
      );
    }
    where.push(...chunkConditions('timestamp', piece, params));
    return where;
  };
  /** The piece's newest `limit` matching rows, along the primary key (or a trigram index where the piece has one). */
  const scan = async (piece: PartitionChunk, limit: number): Promise<StoredRow[]> => {
    const params: unknown[] = [];
    const where = conditions(piece, params);
    params.push(limit);
    return (await db.query<StoredRow>(
      `SELECT ${COLUMNS} FROM logs ${whereClause(where)}
       ORDER BY timestamp DESC, id DESC LIMIT $${params.length}`,
      params,
    )).rows;
  };
  walk: for await (const partitions of partitionChunks(db, range, 'newest', true)) {
    for (const sliced of splitBySlices(partitions, slices)) {
      for (const { chunk, inside } of cutAt(sliced, blocked)) {
        if (inside) {
          const within = { from: range.from, to: range.before };
          rows.push(...named(await searchBlocks(db, bits!, chunk, within, conditions, scan, page.cursor?.timestamp ?? null, wanted - rows.length)));
        } else {
          rows.push(...named(await scan(chunk, wanted - rows.length)));
        }
        if (rows.length >= wanted) break walk;
      }
    }
  }
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > page.limit && last ? encodeCursor(last) : null };
}

/** Blocks whose rows are read by one statement (their conditions ORed: PostgreSQL reads each block's range of the primary key). */
const BLOCKS_PER_STATEMENT = 32;
/**
 * Past this share of a piece's blocks the rows are read newest first instead: reading a block's rows
 * costs ~5 µs a row against ~2 for the scan along the primary key, which also stops at a full page.
 */
const MAX_BLOCK_SHARE = 0.25;

/**
 * The newest `limit` matching rows of partitions written with blocks (src/domain/trigramBloom.ts):
 * the blocks in the piece whose filters hold every bit of the substring, newest end first, are read a
 * group at a time. A row read is final once it is newer than every block still unread may hold.
 */
async function searchBlocks(
  db: Queryable, bits: readonly number[], piece: PartitionChunk, within: { from: string | null; to: string | null },
  conditions: (piece: PartitionChunk, params: unknown[]) => string[], scan: (piece: PartitionChunk, limit: number) => Promise<StoredRow[]>,
  cursorTs: string | null, limit: number,
): Promise<StoredRow[]> {
  const params: unknown[] = [];
  // Blocks overlapping the piece (a run of partitions, clipped to a chunk of the walk) and the search's own range.
  const where: string[] = [];
  for (const [column, op, bound] of [['max_ts', '>=', piece.from], ['min_ts', '<', piece.to], ['max_ts', '>=', within.from], ['min_ts', '<', within.to]] as const) {
    if (bound === null) continue;
    params.push(bound);
    where.push(`${column} ${op} $${params.length}::timestamptz`);
  }
  if (cursorTs !== null) {
    params.push(cursorTs);
    where.push(`min_ts <= $${params.length}::timestamptz`);
  }
  // The bit numbers are our own integers: literals, so the filter costs no parameter per bit.
  const holds = bits.map((bit) => `get_bit(bloom, ${Math.trunc(bit)}) = 1`).join(' AND ');
  const counts = (await db.query<{ total: number; maybe: number }>(
    `SELECT count(*)::int AS total, (count(*) FILTER (WHERE ${holds}))::int AS maybe FROM log_search_blocks ${whereClause(where)}`, params)).rows[0]!;
  // A substring that most blocks may hold (a common word) is found soonest by reading the rows newest first, as without blocks.
  if (counts.maybe > counts.total * MAX_BLOCK_SHARE) return scan(piece, limit);
  const blocks = (await db.query<{ job_id: string; first_line: number; last_line: number; min_ts: string; max_ts: string }>(
    `SELECT job_id, first_line, last_line, min_ts, max_ts FROM log_search_blocks ${whereClause([...where, holds])} ORDER BY max_ts DESC`, params)).rows;
  let found: StoredRow[] = [];
  for (let at = 0; at < blocks.length; at += BLOCKS_PER_STATEMENT) {
    const group = blocks.slice(at, at + BLOCKS_PER_STATEMENT);
    const p: unknown[] = [];
    const w = conditions(piece, p);
    const ranges = group.map((b) => {
      p.push(b.min_ts, b.max_ts, b.job_id, b.first_line, b.last_line);
      const n = p.length;
      return `(timestamp >= $${n - 4}::timestamptz AND timestamp <= $${n - 3}::timestamptz AND job_id = $${n - 2}::uuid AND line_no BETWEEN $${n - 1}::bigint AND $${n}::bigint)`;
    });
    w.push(`(${ranges.join(' OR ')})`);
    p.push(limit);
    const res = await db.query<StoredRow>(`SELECT ${COLUMNS} FROM logs ${whereClause(w)} ORDER BY timestamp DESC, id DESC LIMIT $${p.length}`, p);
    found = mergeNewestFirst(found, res.rows).slice(0, limit);
    const unread = blocks[at + BLOCKS_PER_STATEMENT];
    if (found.length >= limit && (!unread || micros(found[limit - 1]!.timestamp) > micros(unread.max_ts))) break;
  }
  return found;
}

/** Two lists of rows, each newest first (timestamp, id), as one. */
function mergeNewestFirst(a: StoredRow[], b: StoredRow[]): StoredRow[] {
  return [...a, ...b].sort((x, y) => micros(y.timestamp) - micros(x.timestamp) || y.id - x.id);
}

/** ISO 8601 text (as the database adapters give timestamptz) → epoch microseconds. */
function micros(iso: string): number {
  const fraction = /\.(\d+)Z$/.exec(iso)?.[1] ?? '';
  return Date.parse(iso) * 1000 + Number(fraction.slice(3, 6).padEnd(3, '0'));
}

/**
 * The partitions overlapping [fromMs, beforeMs) that are searched through their blocks (written with
 * them, not indexed whole), as runs of partitions with no other partition between them, newest first:
 * a chunk's part of a run (at most its 32 partitions) is one block search.
 */
async function blockSearchedPartitions(db: Queryable, fromMs: number | null, beforeMs: number | null): Promise<{ startMs: number; endMs: number }[]> {
  const res = await db.query<{ s: number; e: number; blocks: boolean }>(
    `SELECT (extract(epoch FROM (day::timestamp AT TIME ZONE 'UTC')) * 1000)::float8 AS s,
            (extract(epoch FROM (end_day::timestamp AT TIME ZONE 'UTC')) * 1000)::float8 AS e,
            search_blocks AND search_indexed_at IS NULL AS blocks
     FROM log_partitions
     WHERE ($1::timestamptz IS NULL OR (end_day::timestamp AT TIME ZONE 'UTC') > $1::timestamptz)
       AND ($2::timestamptz IS NULL OR (day::timestamp AT TIME ZONE 'UTC') < $2::timestamptz)
     ORDER BY day DESC`,
    [fromMs === null ? null : new Date(fromMs).toISOString(), beforeMs === null ? null : new Date(beforeMs).toISOString()],
  );
  const runs: { startMs: number; endMs: number }[] = [];
  let extend = false;
  for (const [i, r] of res.rows.entries()) {
    // Open at the ends of the range where no partition lies beyond: nothing is left there to read row by row.
    if (r.blocks && extend) runs[runs.length - 1]!.startMs = r.s;
    else if (r.blocks) runs.push({ startMs: r.s, endMs: i === 0 ? Infinity : r.e });
    extend = r.blocks;
  }
  const last = runs[runs.length - 1];
  if (last && res.rows[res.rows.length - 1]!.blocks) last.startMs = -Infinity;
  return runs;
}

/**
 * A chunk of partitions cut at the indexed slices inside it, newest first: each slice alone, bounded
 * by exactly its own range (so the planner can prove the slice index's predicate), and the stretches
 * between them (the open slice, scanned along the primary key). Without slices, the chunk itself.
 */
export function splitBySlices(chunk: PartitionChunk, slices: readonly { startMs: number; endMs: number }[]): PartitionChunk[] {
  return cutAt(chunk, slices).map((p) => p.chunk);
}

/**
 * A chunk cut at the ranges (newest first, not overlapping), each clipped to the chunk, newest first;
 * `inside`: the piece is (the chunk's part of) one of them.
 */
function cutAt(chunk: PartitionChunk, ranges: readonly { startMs: number; endMs: number }[]): { chunk: PartitionChunk; inside: boolean }[] {
  const from = chunk.from === null ? -Infinity : Date.parse(chunk.from);
  const to = chunk.to === null ? Infinity : Date.parse(chunk.to);
  const inside = ranges.filter((s) => s.startMs < to && s.endMs > from)
    .map((s) => ({ startMs: Math.max(s.startMs, from), endMs: Math.min(s.endMs, to) }));
  if (inside.length === 0) return [{ chunk, inside: false }];
  const iso = (ms: number): string | null => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);
  const pieces: { chunk: PartitionChunk; inside: boolean }[] = [];
  let upper: string | null = chunk.to;
  for (const s of inside) {
    if ((upper === null ? Infinity : Date.parse(upper)) > s.endMs) pieces.push({ chunk: { from: iso(s.endMs), to: upper, partitions: 1 }, inside: false });
    pieces.push({ chunk: { from: iso(s.startMs), to: iso(s.endMs), partitions: 1 }, inside: true });
    upper = iso(s.startMs);
  }
  // (upper is null here only when the last range is open at the oldest end: nothing is older.)
  if (upper !== null && (chunk.from === null || Date.parse(chunk.from) < Date.parse(upper))) {
    pieces.push({ chunk: { from: chunk.from, to: upper, partitions: chunk.partitions }, inside: false });
  }
  return pieces;
}

/**
 * The records of one committed ingest batch that match the filter (the same WHERE as searchLogs),
 * in file order, at most `limit`; `total` counts every match, so a caller that takes fewer knows how
 * many it left. `limit` 0 only counts. The timestamp bounds let PostgreSQL prune to the batch's day
 * partitions and scan the primary key's range (there is no index on job_id); they are widened by a
 * millisecond because the notice's ISO text and the stored microseconds may round differently.
 */
export async function batchRecords(
  db: Queryable, filter: RecordFilter, batch: BatchNotice, limit: number,
): Promise<{ rows: LogRow[]; total: number }> {
  const params: unknown[] = [];
  const where = filterConditions(filter, RECORDS, params);
  // Widened here, not with `- interval '1 millisecond'` in SQL: timestamptz ± interval is only stable,
  // and PostgreSQL would then plan (and lock) every partition, pruning them only when the statement runs.
  const widened = (iso: string, ms: number): string => new Date(Date.parse(iso) + ms).toISOString();
  params.push(widened(batch.min_timestamp, -1), widened(batch.max_timestamp, 1), batch.job_id, batch.first_line, batch.last_line);
  const n = params.length;
  where.push(
    `timestamp BETWEEN $${n - 4}::timestamptz AND $${n - 3}::timestamptz`,
    `job_id = $${n - 2}::uuid`, `line_no BETWEEN $${n - 1}::bigint AND $${n}::bigint`,
  );
  const rows = limit > 0
    ? named((await db.query<StoredRow>(`SELECT ${COLUMNS} FROM logs WHERE ${where.join(' AND ')} ORDER BY line_no LIMIT ${Math.trunc(limit)}`, params)).rows)
    : [];
  if (rows.length < limit) return { rows, total: rows.length };
  const counted = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM logs WHERE ${where.join(' AND ')}`, params);
  return { rows, total: counted.rows[0]?.n ?? rows.length };
}

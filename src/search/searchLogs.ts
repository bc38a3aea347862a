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
 * the cursor are those of the one statement over `logs`.
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
  // A substring on a partition that still grows: its closed slices have trigram indexes of their own.
  const slices = filter.q !== undefined ? await searchSlices(db, filter.startMs, filter.endMs) : [];
  walk: for await (const partitions of partitionChunks(db, range, 'newest', true)) for (const chunk of splitBySlices(partitions, slices)) {
    const params: unknown[] = [];
    const where = filterConditions(filter, RECORDS, params);
    if (page.cursor) {
      params.push(page.cursor.timestamp, page.cursor.id);
      // The first condition is implied by the second; PostgreSQL prunes partitions by it, not by a row comparison.
      where.push(
        `timestamp <= $${params.length - 1}::timestamptz`,
        `(timestamp, id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`,
      );
    }
    where.push(...chunkConditions('timestamp', chunk, params));
    params.push(wanted - rows.length);
    const res = await db.query<StoredRow>(
      `SELECT ${COLUMNS} FROM logs ${whereClause(where)}
       ORDER BY timestamp DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    rows.push(...named(res.rows));
    if (rows.length >= wanted) break walk;
  }
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > page.limit && last ? encodeCursor(last) : null };
}

/**
 * A chunk of partitions cut at the indexed slices inside it, newest first: each slice alone, bounded
 * by exactly its own range (so the planner can prove the slice index's predicate), and the stretches
 * between them (the open slice, scanned along the primary key). Without slices, the chunk itself.
 */
export function splitBySlices(chunk: PartitionChunk, slices: readonly { startMs: number; endMs: number }[]): PartitionChunk[] {
  const from = chunk.from === null ? -Infinity : Date.parse(chunk.from);
  const to = chunk.to === null ? Infinity : Date.parse(chunk.to);
  const inside = slices.filter((s) => s.startMs >= from && s.endMs <= to);
  if (inside.length === 0) return [chunk];
  const iso = (ms: number): string => new Date(ms).toISOString();
  const pieces: PartitionChunk[] = [];
  let upper: string | null = chunk.to;
  for (const s of inside) {
    if (upper === null || Date.parse(upper) > s.endMs) pieces.push({ from: iso(s.endMs), to: upper, partitions: 1 });
    pieces.push({ from: iso(s.startMs), to: iso(s.endMs), partitions: 1 });
    upper = iso(s.startMs);
  }
  if (chunk.from === null || Date.parse(chunk.from) < Date.parse(upper!)) pieces.push({ from: chunk.from, to: upper, partitions: chunk.partitions });
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

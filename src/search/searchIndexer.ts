import type { Db } from '../db/db.js';
import { partitionTableName } from '../db/partitions.js';
import { ingestPending } from '../ingest/jobs.js';

/** The time slices of a partition still receiving rows that get a trigram index each (migration 0019). */
export const SEARCH_SLICE_MS = 15 * 60_000;
/** A slice is indexed once it ended this long ago: by then nearly all of its rows have come. */
const SLICE_SETTLE_MS = 60_000;

/**
 * Builds the trigram index that serves `q` (substring search) on partitions (days or months) that stopped
 * receiving rows. Building it inline would cap ingestion (a pg_trgm GIN index takes rows at a small
 * fraction of COPY's rate: 9,000 rows/s against 370,000 measured), so new rows are searched by scanning
 * the short unindexed tail instead; the planner picks the index per partition wherever it exists.
 * On PostgreSQL the partition that holds the present is never indexed whole, however quiet it looks (a
 * live source pauses, then sends on into a GIN index): it gets slice indexes (indexClosedSlices) and its
 * whole index once the present has moved past it. Returns the partitions indexed.
 */
export async function indexQuietPartitions(db: Db, idleMs: number, maxPartitions = 4, signal?: AbortSignal, nowMs = Date.now()): Promise<string[]> {
  if (db.singleBackend && (await ingestPending(db))) {
    // An index build on the one backend stops ingestion (and every query) until it ends. Wait until
    // no job is queued or running; with sessions side by side it builds CONCURRENTLY alongside ingestion.
    return [];
  }
  const quiet = await db.query<{ day: string; end_day: string }>(
    `SELECT day::text AS day, end_day::text AS end_day FROM log_partitions
     WHERE search_indexed_at IS NULL AND last_write_at < now() - make_interval(secs => $1::double precision / 1000)
       AND ($3::boolean OR (end_day::timestamp AT TIME ZONE 'UTC') <= $4::timestamptz)
     ORDER BY day DESC LIMIT $2`,
    [idleMs, maxPartitions, db.singleBackend, new Date(nowMs - SLICE_SETTLE_MS).toISOString()],
  );
  const done: string[] = [];
  for (const { day, end_day } of quiet.rows) {
    if (signal?.aborted) break; // shutdown: the rest are built after the next start
    // The name from the range, by our own formatting: never a stored name spliced into DDL.
    const table = partitionTableName({ day, endDay: end_day });
    // CONCURRENTLY: ingestion into this partition and searches go on while the index builds. On a single
    // backend nothing does, and nothing could (it builds only while ingestion is idle, see above).
    const concurrently = db.singleBackend ? '' : ' CONCURRENTLY';
    await db.session(async (s) => {
      await s.query(`CREATE INDEX${concurrently} IF NOT EXISTS ${table}_raw_trgm ON ${table} USING gin (raw_log gin_trgm_ops)`);
    }, { unbounded: true });
    await db.query('UPDATE log_partitions SET search_indexed_at = now() WHERE day = $1::date', [day]);
    // The index serves the partition's searches now: its blocks' filters go (those reaching into another partition stay with it).
    await db.query(
      `DELETE FROM log_search_blocks WHERE max_ts < ($2::date::timestamp AT TIME ZONE 'UTC') AND min_ts >= ($1::date::timestamp AT TIME ZONE 'UTC')`,
      [day, end_day]);
    // The whole index serves every slice's searches now; theirs only cost inserts.
    const slices = await db.query<{ start: number }>(
      'DELETE FROM log_search_slices WHERE day = $1::date RETURNING (extract(epoch FROM slice_start) * 1000)::float8 AS start', [day]);
    for (const { start } of slices.rows) {
      await db.session((s) => s.query(`DROP INDEX${concurrently} IF EXISTS ${sliceIndexName(table, start)}`), { unbounded: true });
    }
    done.push(table);
  }
  return done;
}

/**
 * On PostgreSQL, the partition holding the present (where live lines land), when it holds rows written
 * before search blocks (migration 0021; a partition written with them is searched through them), gets a
 * partial trigram index per closed slice of SEARCH_SLICE_MS, CONCURRENTLY, oldest first, at most `maxSlices` a call,
 * from its first row's slice to the last slice that ended SLICE_SETTLE_MS ago. Searches ask each
 * indexed slice apart (src/search/searchLogs.ts), so `q` over today scans at most the open slice.
 * On PGlite a build would hold the only backend: the partition waits for its whole index. Returns
 * the indexes built.
 */
export async function indexClosedSlices(db: Db, maxSlices = 4, signal?: AbortSignal, nowMs = Date.now()): Promise<string[]> {
  if (db.singleBackend) return [];
  const settled = nowMs - SLICE_SETTLE_MS;
  const partitions = await db.query<{ day: string; end_day: string; next: number | null }>(
    `SELECT p.day::text AS day, p.end_day::text AS end_day,
            (SELECT (extract(epoch FROM max(slice_end)) * 1000)::float8 FROM log_search_slices s WHERE s.day = p.day) AS next
     FROM log_partitions p
     WHERE search_indexed_at IS NULL AND NOT search_blocks AND (p.day::timestamp AT TIME ZONE 'UTC') <= $1::timestamptz
       AND (p.end_day::timestamp AT TIME ZONE 'UTC') > $1::timestamptz`,
    [new Date(settled).toISOString()],
  );
  const built: string[] = [];
  for (const p of partitions.rows) {
    const table = partitionTableName({ day: p.day, endDay: p.end_day });
    let from = p.next;
    if (from === null) {
      const first = await db.query<{ t: number | null }>(`SELECT (extract(epoch FROM min(timestamp)) * 1000)::float8 AS t FROM ${table}`);
      const t = first.rows[0]?.t ?? null;
      if (t === null) continue;
      from = Math.floor(t / SEARCH_SLICE_MS) * SEARCH_SLICE_MS;
    }
    for (let start = from; start + SEARCH_SLICE_MS <= settled && built.length < maxSlices; start += SEARCH_SLICE_MS) {
      if (signal?.aborted) return built;
      const [a, b] = [new Date(start).toISOString(), new Date(start + SEARCH_SLICE_MS).toISOString()];
      const name = sliceIndexName(table, start);
      // Literal bounds (our own ISO text), so the planner can prove a search's bounds imply them.
      await db.session(async (s) => {
        await s.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${name} ON ${table} USING gin (raw_log gin_trgm_ops)
                       WHERE timestamp >= '${a}'::timestamptz AND timestamp < '${b}'::timestamptz`);
      }, { unbounded: true });
      await db.query('INSERT INTO log_search_slices (day, slice_start, slice_end) VALUES ($1::date, $2, $3) ON CONFLICT DO NOTHING', [p.day, a, b]);
      built.push(name);
    }
  }
  return built;
}

/** `logs_p20261207_trgm_s071015`: the slice's day of month, hour and minute, in UTC. */
function sliceIndexName(table: string, startMs: number): string {
  const iso = new Date(startMs).toISOString();
  return `${table}_trgm_s${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

/** The indexed slices overlapping [fromMs, beforeMs) (null: unbounded), newest first. */
export async function searchSlices(db: Pick<Db, 'query'>, fromMs: number | null, beforeMs: number | null): Promise<{ startMs: number; endMs: number }[]> {
  const res = await db.query<{ s: number; e: number }>(
    `SELECT (extract(epoch FROM slice_start) * 1000)::float8 AS s, (extract(epoch FROM slice_end) * 1000)::float8 AS e FROM log_search_slices
     WHERE ($1::timestamptz IS NULL OR slice_end > $1::timestamptz) AND ($2::timestamptz IS NULL OR slice_start < $2::timestamptz)
     ORDER BY slice_start DESC`,
    [fromMs === null ? null : new Date(fromMs).toISOString(), beforeMs === null ? null : new Date(beforeMs).toISOString()],
  );
  return res.rows.map((r) => ({ startMs: r.s, endMs: r.e }));
}

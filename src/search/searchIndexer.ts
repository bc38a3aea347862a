import type { Db } from '../db/db.js';
import { partitionTableName } from '../db/partitions.js';
import { ingestPending } from '../ingest/jobs.js';

/**
 * Builds the trigram index that serves `q` (substring search) on partitions (days or months) that stopped
 * receiving rows. Building it inline would cap ingestion (a pg_trgm GIN index takes rows at a small
 * fraction of COPY's rate), so new rows are searched by scanning the short unindexed tail instead;
 * the planner picks the index per partition wherever it exists. Returns the partitions indexed.
 */
export async function indexQuietPartitions(db: Db, idleMs: number, maxPartitions = 4, signal?: AbortSignal): Promise<string[]> {
  if (db.singleBackend && (await ingestPending(db))) {
    // An index build on the one backend stops ingestion (and every query) until it ends. Wait until
    // no job is queued or running; with sessions side by side it builds CONCURRENTLY alongside ingestion.
    return [];
  }
  const quiet = await db.query<{ day: string; end_day: string }>(
    `SELECT day::text AS day, end_day::text AS end_day FROM log_partitions
     WHERE search_indexed_at IS NULL AND last_write_at < now() - make_interval(secs => $1::double precision / 1000)
     ORDER BY day DESC LIMIT $2`,
    [idleMs, maxPartitions],
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
    done.push(table);
  }
  return done;
}

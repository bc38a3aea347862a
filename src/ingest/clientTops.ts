import type { Queryable } from '../db/db.js';
import { partitionCoversSql } from '../db/partitions.js';
import { CLIENT_TOP_SIZE, INT8_MAX } from '../db/rollupTables.js';

const DAY_MS = 86_400_000;

/**
 * Recounts the busiest client addresses of one UTC day (`day`: its start) from the raw rows, per
 * source: the CLIENT_TOP_SIZE busiest into client_tops_1d, and the count of the next one as the
 * day's floor (0 when every address is listed). Called when compaction merges the day, so the lists
 * follow the raw rows; a day whose raw rows are gone (retention) keeps the lists it has.
 */
export async function refreshClientTops(tx: Queryable, day: string): Promise<void> {
  const raw = await tx.query<{ kept: boolean }>(
    `SELECT ${partitionCoversSql("($1::timestamptz AT TIME ZONE 'UTC')::date")} AS kept`, [day],
  );
  if (!raw.rows[0]?.kept) return;
  await tx.query('DELETE FROM client_tops_1d WHERE bucket = $1', [day]);
  await tx.query('DELETE FROM client_top_floors_1d WHERE bucket = $1', [day]);
  // Bytes saturate like the rollup sums (migration 0011): a day's compaction must not fail on one address.
  await tx.query(
    `WITH counted AS (
       SELECT source, client_ip, count(*) AS requests, count(*) FILTER (WHERE status_code >= 500) AS errors,
              count(*) FILTER (WHERE status_code BETWEEN 400 AND 499) AS client_errors,
              least(coalesce(sum(bytes_sent), 0), ${INT8_MAX})::bigint AS bytes_sent
       FROM logs
       WHERE timestamp >= $1::timestamptz AND timestamp < $3::timestamptz AND client_ip IS NOT NULL
       GROUP BY source, client_ip),
     ranked AS (SELECT *, row_number() OVER (PARTITION BY source ORDER BY requests DESC, client_ip COLLATE "C") AS rank FROM counted),
     tops AS (
       INSERT INTO client_tops_1d (bucket, source, client_ip, requests, errors, client_errors, bytes_sent)
       SELECT $1::timestamptz, source, client_ip, requests, errors, client_errors, bytes_sent FROM ranked WHERE rank <= $2)
     INSERT INTO client_top_floors_1d (bucket, source, floor)
     SELECT $1::timestamptz, source, coalesce(max(requests) FILTER (WHERE rank = $2 + 1), 0) FROM ranked GROUP BY source`,
    // The day's end as a value, not `$1 + interval '1 day'`: timestamptz + interval is only stable, so
    // PostgreSQL would plan (and lock) every partition of logs and prune them when the statement runs.
    [day, CLIENT_TOP_SIZE, new Date(Date.parse(day) + DAY_MS).toISOString()],
  );
}

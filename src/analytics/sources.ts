import type { Queryable } from '../db/db.js';
import { NARROW_ROLLUPS } from '../db/rollupTables.js';

export interface SourceCount {
  source: string;
  records: number;
  last_bucket: string;
}

/**
 * Every source with its record count and latest day, from the per-source daily rollup (one row per
 * source and day, appended per ingest batch), so the list costs the same at any data size.
 */
export async function getSources(db: Queryable): Promise<SourceCount[]> {
  const res = await db.query<SourceCount>(
    `SELECT source, sum(records)::bigint AS records, max(bucket) AS last_bucket
       FROM ${NARROW_ROLLUPS.source.rollups_1d} GROUP BY source ORDER BY sum(records) DESC, source`,
  );
  return res.rows;
}

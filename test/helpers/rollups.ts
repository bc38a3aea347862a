import type { Queryable } from '../../src/db/db.js';
import { ROLLUP_RESOLUTIONS, type RollupTable } from '../../src/ingest/rollups.js';

/** Every row of every rollup table, in key order: for comparing two ways of maintaining them. */
export async function rollupSnapshot(db: Queryable): Promise<Record<RollupTable, unknown[]>> {
  const out = {} as Record<RollupTable, unknown[]>;
  for (const { table } of ROLLUP_RESOLUTIONS) {
    const res = await db.query(
      `SELECT * FROM ${table} ORDER BY bucket, source, route NULLS FIRST, method NULLS FIRST, status_code NULLS FIRST, log_level`,
    );
    out[table] = res.rows;
  }
  return out;
}

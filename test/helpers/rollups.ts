import type { Db, Queryable } from '../../src/db/db.js';
import { compactRollups } from '../../src/ingest/compactRollups.js';
import { narrowTables, ROLLUP_RESOLUTIONS, SKETCH_TABLES } from '../../src/db/rollupTables.js';

/** Every row of every rollup and sketch table, in key order: for comparing two ways of maintaining them. */
export async function rollupSnapshot(db: Queryable): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const { table } of ROLLUP_RESOLUTIONS) {
    const res = await db.query(
      `SELECT * FROM ${table} ORDER BY bucket, source, route NULLS FIRST, method NULLS FIRST, status_code NULLS FIRST, log_level`,
    );
    out[table] = res.rows;
  }
  for (const table of narrowTables()) {
    const route = table.startsWith('route_') ? ', route NULLS FIRST' : '';
    out[table] = (await db.query(`SELECT * FROM ${table} ORDER BY bucket, source${route}`)).rows;
  }
  out.client_tops_1d = (await db.query('SELECT * FROM client_tops_1d ORDER BY bucket, source, client_ip')).rows;
  out.client_top_floors_1d = (await db.query('SELECT * FROM client_top_floors_1d ORDER BY bucket, source')).rows;
  for (const table of Object.values(SKETCH_TABLES)) {
    const res = await db.query(`SELECT bucket, source, encode(registers, 'hex') AS registers FROM ${table} ORDER BY bucket, source`);
    out[table] = res.rows;
  }
  return out;
}

/**
 * Compacts every dirty rollup bucket and returns once none is left. A running service's own upkeep may
 * be compacting a bucket at that moment, and compactRollups passes a locked bucket by (SKIP LOCKED):
 * a snapshot taken right after it could see that bucket's parts, and the other compaction's result later.
 */
export async function compactAllRollups(db: Db): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await compactRollups(db);
    const left = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM rollup_dirty')).rows[0]!.n;
    if (left === 0) return;
    if (attempt >= 200) throw new Error(`${left} rollup buckets stay dirty`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

import type { Queryable } from '../../src/db/db.js';
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

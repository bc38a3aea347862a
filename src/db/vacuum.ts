import { quoteIdent, type Db } from './db.js';

/**
 * autovacuum's default thresholds (PostgreSQL 13–18): a table is due when its changes since the last
 * run pass `base + scale × its estimated rows`.
 */
const DEAD_ROWS = { base: 50, scale: 0.2 }; // autovacuum_vacuum_threshold, _scale_factor
const INSERTED_ROWS = { base: 1000, scale: 0.2 }; // autovacuum_vacuum_insert_threshold, _scale_factor
const CHANGED_ROWS = { base: 50, scale: 0.1 }; // autovacuum_analyze_threshold, _scale_factor

export interface TableUpkeep {
  table: string;
  /** VACUUM (ANALYZE) when true, ANALYZE alone otherwise. */
  vacuum: boolean;
}

/**
 * Does autovacuum's work where there is no autovacuum: PGlite runs PostgreSQL as one standalone
 * backend, and a PostgreSQL server may run with autovacuum off, so nothing else reclaims the rows
 * that rollup compaction deletes (132,000 dead day rows after one 10.5M-line upload; on 2026-12-06 a
 * month of hour rollups read 395,000 index entries for 170,000 live rows), keeps the visibility maps
 * that index-only scans need, or gathers the planner's statistics (plans on un-analysed rollups made
 * alert ticks ~30% slower on PostgreSQL before autovacuum came by). Picks the tables that
 * autovacuum's defaults would, the furthest past them first, at most `maxTables`, and runs each in
 * turn. On one backend the caller runs it when that backend is otherwise idle: each statement holds it.
 */
export async function vacuumDueTables(db: Db, maxTables = 4, signal?: AbortSignal): Promise<TableUpkeep[]> {
  const past = (t: { base: number; scale: number }, n: string): string => `s.${n} > ${t.base} + ${t.scale} * greatest(c.reltuples, 0)`;
  const due = await db.query<{ schema: string; name: string; vacuum: boolean }>(
    `SELECT schemaname AS schema, relname AS name, needs_vacuum AS vacuum FROM (
       SELECT s.schemaname, s.relname,
              ${past(DEAD_ROWS, 'n_dead_tup')} OR ${past(INSERTED_ROWS, 'n_ins_since_vacuum')} AS needs_vacuum,
              ${past(CHANGED_ROWS, 'n_mod_since_analyze')} AS needs_analyze,
              (s.n_dead_tup + s.n_ins_since_vacuum + s.n_mod_since_analyze) / (greatest(c.reltuples, 0) + 1) AS urgency
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
       WHERE c.relkind = 'r' AND c.relpersistence <> 't') AS t -- not temporary tables, as autovacuum
     WHERE needs_vacuum OR needs_analyze
     ORDER BY urgency DESC, relname LIMIT $1`,
    [maxTables],
  );
  const done: TableUpkeep[] = [];
  for (const t of due.rows) {
    if (signal?.aborted) break; // shutdown: the rest stay due for the next run
    const table = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
    // VACUUM refuses to run inside a transaction block: a statement of its own, outside one, and with
    // no time limit (a large partition takes longer than a query may on PostgreSQL).
    await db.session((session) => session.exec(t.vacuum ? `VACUUM (ANALYZE) ${table}` : `ANALYZE ${table}`), { unbounded: true });
    done.push({ table: `${t.schema}.${t.name}`, vacuum: t.vacuum });
  }
  return done;
}

/**
 * The SQL that writes and merges rollup rows, derived from their description (rollupTables.ts): a
 * new measure is summed or maximised here by its `merge`, without editing these statements.
 */
import { HISTOGRAM_COLUMNS, INT8_MAX, ROLLUP_TABLES, rollupColumns, type RollupMeasure, type RollupTableDescription, type RollupTableName } from './rollupTables.js';

/** Two parts of one key as one value, in an upsert: the stored row `r` and the new part EXCLUDED. */
const UPSERT_MERGE: Record<RollupMeasure['merge'], (c: string) => string> = {
  // Saturating rather than failing the batch with "bigint out of range" (migration 0011).
  sum: (c) => `int8_add_saturating(r.${c}, EXCLUDED.${c})`,
  max: (c) => `greatest(r.${c}, EXCLUDED.${c})`,
};

/** The parts of one key as one value, in a GROUP BY. */
const GROUP_MERGE: Record<RollupMeasure['merge'], (c: string) => string> = {
  // sum(bigint) is numeric: past 2^63 − 1 it saturates rather than fail the bucket with "bigint out of range".
  sum: (c) => `least(sum(${c}), ${INT8_MAX})::bigint`,
  max: (c) => `max(${c})`,
};

const [BUCKETS, COUNTS] = HISTOGRAM_COLUMNS;

/**
 * Inserts the rows of `from` (shaped like `table`, such as its staging table) into an upserted table:
 * a new key is inserted, a stored one gets the row added (measures merged, histograms concatenated
 * and made canonical again).
 */
export function upsertSql(table: RollupTableName, from: string): string {
  const t: RollupTableDescription = ROLLUP_TABLES[table];
  if (t.upsertConstraint === null) throw new Error(`${table} is appended to, not upserted`);
  const columns = rollupColumns(table).join(', ');
  const set = t.measures.map((m) => `${m.name} = ${UPSERT_MERGE[m.merge](m.name)}`);
  if (t.histogram) {
    set.push(`(${BUCKETS}, ${COUNTS}) = (
      SELECT m.buckets, m.counts FROM latency_hist_canon(r.${BUCKETS} || EXCLUDED.${BUCKETS}, r.${COUNTS} || EXCLUDED.${COUNTS}) AS m)`);
  }
  return `INSERT INTO ${table} AS r (${columns}) SELECT ${columns} FROM ${from}
    ON CONFLICT ON CONSTRAINT ${t.upsertConstraint} DO UPDATE SET ${set.join(',\n      ')}`;
}

/**
 * Merges the parts of each key of one bucket ($1) of an appended table into a single row, in one
 * statement: the DELETE sees the parts committed when it starts, and parts added meanwhile stay for
 * the next compaction.
 */
export function compactPartsSql(table: RollupTableName): string {
  const t: RollupTableDescription = ROLLUP_TABLES[table];
  const keys = t.key.map((c) => c.name).join(', ');
  const totals = t.measures.map((m) => `${GROUP_MERGE[m.merge](m.name)} AS ${m.name}`).join(', ');
  const insert = `INSERT INTO ${table} (${rollupColumns(table).join(', ')})`;
  if (!t.histogram) {
    return `WITH parts AS (DELETE FROM ${table} WHERE bucket = $1 RETURNING *)
      ${insert} SELECT ${keys}, ${totals} FROM parts GROUP BY ${keys}`;
  }
  return `WITH parts AS (DELETE FROM ${table} WHERE bucket = $1 RETURNING *),
    merged AS (
      SELECT ${keys}, ${totals}, int_array_cat(${BUCKETS}) AS all_buckets, int_array_cat(${COUNTS}) AS all_counts
      FROM parts GROUP BY ${keys})
    ${insert}
    SELECT ${keys}, ${t.measures.map((m) => m.name).join(', ')}, h.buckets, h.counts
    FROM merged, LATERAL latency_hist_canon(all_buckets, all_counts) AS h`;
}

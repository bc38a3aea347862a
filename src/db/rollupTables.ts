/** Names of the rollup and sketch tables (migrations/0002_rollups.sql): written by src/ingest, read by src/analytics. */

/** The rollup tables, finest first; each bucket is the start of its minute, hour or UTC day. */
export const ROLLUP_RESOLUTIONS = [
  { table: 'rollups_1m', ms: 60_000 },
  { table: 'rollups_1h', ms: 3_600_000 },
  { table: 'rollups_1d', ms: 86_400_000 },
] as const;

export type RollupTable = (typeof ROLLUP_RESOLUTIONS)[number]['table'];

/** The client-address sketch tables, per rollup table they go with. */
export const SKETCH_TABLES = { rollups_1h: 'client_sketches_1h', rollups_1d: 'client_sketches_1d' } as const;

/** Addresses kept per day and source in client_tops_1d. */
export const CLIENT_TOP_SIZE = 200;

/** The hour and day rollups with fewer dimensions: per route, and per source only. */
export const NARROW_ROLLUPS = {
  route: { rollups_1m: null, rollups_1h: 'route_rollups_1h', rollups_1d: 'route_rollups_1d' },
  /** Minutes too (upserted like rollups_1m): a day's chart reads one row per minute. */
  source: { rollups_1m: 'source_rollups_1m', rollups_1h: 'source_rollups_1h', rollups_1d: 'source_rollups_1d' },
} as const;

export type NarrowGrain = keyof typeof NARROW_ROLLUPS;

/** Every narrow rollup table. */
export function narrowTables(): string[] {
  return Object.values(NARROW_ROLLUPS).flatMap((g) => Object.values(g).filter((t) => t !== null));
}

/**
 * The largest bigint, where rollup sums saturate (migration 0011): `least(sum(x), INT8_MAX)::bigint`
 * for a numeric sum, int8_add_saturating(a, b) for two bigints.
 */
export const INT8_MAX = '9223372036854775807';

const WIDE_SUMS = ['records', 'bytes_sent', 'latency_count', 'latency_sum_us'];
const NARROW_SUMS = ['records', 'requests', 'errors', 'client_errors', 'bytes_sent', 'latency_count', 'latency_sum_us'];

/** A table that ingest batches append parts to and compaction merges: its key, the columns summed per key, and whether it has a histogram. */
export interface AppendedTable {
  key: readonly string[];
  sums: readonly string[];
  histogram: boolean;
}

const wide: AppendedTable = { key: ['bucket', 'source', 'route', 'method', 'status_code', 'log_level'], sums: WIDE_SUMS, histogram: false };
const perRoute: AppendedTable = { key: ['bucket', 'source', 'route'], sums: NARROW_SUMS, histogram: true };
const perSource: AppendedTable = { key: ['bucket', 'source'], sums: NARROW_SUMS, histogram: true };

/** Every table of hour and day parts (each also has latency_max_ms). */
export const APPENDED_TABLES = {
  rollups_1h: wide,
  rollups_1d: wide,
  route_rollups_1h: perRoute,
  route_rollups_1d: perRoute,
  source_rollups_1h: perSource,
  source_rollups_1d: perSource,
} as const satisfies Record<string, AppendedTable>;

export type AppendedTableName = keyof typeof APPENDED_TABLES;

/** The minute tables: one row per key (a unique constraint), which ingest batches upsert into. */
export const UPSERTED_TABLES = {
  rollups_1m: { ...wide, histogram: true, constraint: 'rollups_1m_key' },
  source_rollups_1m: { ...perSource, constraint: 'source_rollups_1m_key' },
} as const satisfies Record<string, AppendedTable & { constraint: string }>;

export type UpsertedTableName = keyof typeof UPSERTED_TABLES;

/** Every table that ingest batches write rollup rows to. */
export type RollupWriteTable = AppendedTableName | UpsertedTableName;

/** The columns of an appended or upserted table, in table order. */
export function rollupColumns(table: RollupWriteTable): string[] {
  const t = table in APPENDED_TABLES ? APPENDED_TABLES[table as AppendedTableName] : UPSERTED_TABLES[table as UpsertedTableName];
  return [...t.key, ...t.sums, 'latency_max_ms', ...(t.histogram ? ['latency_buckets', 'latency_counts'] : [])];
}

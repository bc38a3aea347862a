/**
 * The rollup tables, each described once: its key columns, its measures and how parts of one key
 * merge, whether it keeps a latency histogram, its time grain and how ingest writes it. Derived from
 * this description: the COPY column lists and row encoders (src/ingest/rollupCopy.ts), the upsert and
 * compaction SQL (rollupSql.ts) and the column lists analytics reads (src/analytics/facts.ts);
 * rollupTables.int.test.ts proves the migrated tables (migrations 0002, 0011) match it.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

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

/** A rollup column's SQL type, as the migration writes it; its binary COPY encoding follows from it. */
export type RollupColumnType = 'timestamptz' | 'text' | 'smallint' | 'bigint' | 'double precision' | 'integer[]';

/** The values of one rollup row as ingest computes them (src/ingest/rollups.ts): what each column is written from. */
export interface RollupValues {
  /** Start of the bucket, epoch ms. */
  bucketMs: number;
  source: string;
  route: string | null;
  method: string | null;
  statusCode: number | null;
  level: string;
  records: number;
  requests: number;
  errors: number;
  clientErrors: number;
  bytesSent: number;
  latencyCount: number;
  latencySumUs: number;
  latencyMaxMs: number | null;
}

export interface RollupColumn<F extends keyof RollupValues = keyof RollupValues> {
  name: string;
  type: RollupColumnType;
  nullable: boolean;
  /** The value ingest writes to it. */
  field: F;
}

export interface RollupMeasure<F extends keyof RollupValues = keyof RollupValues> extends RollupColumn<F> {
  /** How the parts of one key combine (upsert, compaction): summed, saturating at INT8_MAX; or the greater kept. */
  merge: 'sum' | 'max';
  /**
   * A measure of the per-route and per-source grains only: its value computed from a full-key row (SQL
   * over its columns), for analytics reading minutes or raw rows as narrow facts.
   */
  fromFullKey?: string;
}

export interface RollupTableDescription {
  /** The width of a bucket, ms. */
  grainMs: number;
  key: readonly RollupColumn[];
  measures: readonly RollupMeasure[];
  /** Whether each row ends with a latency histogram (HISTOGRAM_COLUMNS), merged with latency_hist_canon. */
  histogram: boolean;
  /**
   * How ingest batches write it: upserted under this unique constraint over `key` (one row per key),
   * or, when null, appended as parts that compaction (src/ingest/compactRollups.ts) merges.
   */
  upsertConstraint: string | null;
}

/**
 * A histogram is two arrays of equal length: bucket indexes ascending and their counts
 * (src/domain/latencyHistogram.ts); ingest writes both from one array of [bucket, count, …] pairs.
 */
export const HISTOGRAM_COLUMNS = ['latency_buckets', 'latency_counts'] as const;

function key<F extends keyof RollupValues>(name: string, type: RollupColumnType, field: F, nullable = false): RollupColumn<F> {
  return { name, type, field, nullable };
}

function sum<F extends keyof RollupValues>(name: string, field: F, fromFullKey?: string): RollupMeasure<F> {
  return { name, type: 'bigint', field, nullable: false, merge: 'sum', ...(fromFullKey === undefined ? {} : { fromFullKey }) };
}

const BUCKET = key('bucket', 'timestamptz', 'bucketMs');
const SOURCE = key('source', 'text', 'source');
const ROUTE = key('route', 'text', 'route', true);
const FULL_KEY = [
  BUCKET, SOURCE, ROUTE, key('method', 'text', 'method', true), key('status_code', 'smallint', 'statusCode', true), key('log_level', 'text', 'level'),
];

const RECORDS = sum('records', 'records');
/** What every grain ends its measures with: bytes, and the latency count, µs sum (exact: integers) and maximum. */
const BYTES_AND_LATENCY = [
  sum('bytes_sent', 'bytesSent'), sum('latency_count', 'latencyCount'), sum('latency_sum_us', 'latencySumUs'),
  { name: 'latency_max_ms', type: 'double precision', field: 'latencyMaxMs', nullable: true, merge: 'max' } satisfies RollupMeasure<'latencyMaxMs'>,
];
const FULL_MEASURES = [RECORDS, ...BYTES_AND_LATENCY];
/** `requests` counts records with a status code; `errors` and `client_errors` the 5xx and 4xx among them. */
const NARROW_MEASURES = [
  RECORDS,
  sum('requests', 'requests', 'CASE WHEN status_code IS NULL THEN 0 ELSE records END'),
  sum('errors', 'errors', 'CASE WHEN status_code >= 500 THEN records ELSE 0 END'),
  sum('client_errors', 'clientErrors', 'CASE WHEN status_code BETWEEN 400 AND 499 THEN records ELSE 0 END'),
  ...BYTES_AND_LATENCY,
];

/**
 * Every rollup table. Hours and days of the full key keep no histogram: percentiles over them come
 * from the per-route and per-source grains, which have a fraction of the rows. Their WARN/ERROR and
 * 4xx/5xx rows are also in partial indexes that hold every column (migration 0016), for level and
 * status filters: a new column of theirs goes into those indexes' INCLUDE too (a test checks).
 */
export const ROLLUP_TABLES = {
  rollups_1m: { grainMs: MINUTE_MS, key: FULL_KEY, measures: FULL_MEASURES, histogram: true, upsertConstraint: 'rollups_1m_key' },
  rollups_1h: { grainMs: HOUR_MS, key: FULL_KEY, measures: FULL_MEASURES, histogram: false, upsertConstraint: null },
  rollups_1d: { grainMs: DAY_MS, key: FULL_KEY, measures: FULL_MEASURES, histogram: false, upsertConstraint: null },
  route_rollups_1h: { grainMs: HOUR_MS, key: [BUCKET, SOURCE, ROUTE], measures: NARROW_MEASURES, histogram: true, upsertConstraint: null },
  route_rollups_1d: { grainMs: DAY_MS, key: [BUCKET, SOURCE, ROUTE], measures: NARROW_MEASURES, histogram: true, upsertConstraint: null },
  source_rollups_1m: { grainMs: MINUTE_MS, key: [BUCKET, SOURCE], measures: NARROW_MEASURES, histogram: true, upsertConstraint: 'source_rollups_1m_key' },
  source_rollups_1h: { grainMs: HOUR_MS, key: [BUCKET, SOURCE], measures: NARROW_MEASURES, histogram: true, upsertConstraint: null },
  source_rollups_1d: { grainMs: DAY_MS, key: [BUCKET, SOURCE], measures: NARROW_MEASURES, histogram: true, upsertConstraint: null },
} as const satisfies Record<string, RollupTableDescription>;

export type RollupTableName = keyof typeof ROLLUP_TABLES;

/** The rollup tables of the full key, finest first; each bucket is the start of its minute, hour or UTC day. */
export const ROLLUP_RESOLUTIONS = [
  { table: 'rollups_1m', ms: ROLLUP_TABLES.rollups_1m.grainMs },
  { table: 'rollups_1h', ms: ROLLUP_TABLES.rollups_1h.grainMs },
  { table: 'rollups_1d', ms: ROLLUP_TABLES.rollups_1d.grainMs },
] as const;

export type RollupTable = (typeof ROLLUP_RESOLUTIONS)[number]['table'];

/** The values a row of `T` is written from. */
export type RollupValuesOf<T extends RollupTableName> = Pick<
  RollupValues,
  (typeof ROLLUP_TABLES)[T]['key'][number]['field'] | (typeof ROLLUP_TABLES)[T]['measures'][number]['field']
>;

/** Every column of a table, in table order (the order COPY writes). */
export function rollupColumns(table: RollupTableName): string[] {
  const t: RollupTableDescription = ROLLUP_TABLES[table];
  return [...t.key.map((c) => c.name), ...t.measures.map((m) => m.name), ...(t.histogram ? HISTOGRAM_COLUMNS : [])];
}

/** Every rollup table, finest grain of the full key first. */
export function rollupTableNames(): RollupTableName[] {
  return Object.keys(ROLLUP_TABLES) as RollupTableName[];
}

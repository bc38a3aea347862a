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

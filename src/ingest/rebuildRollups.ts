import type { Db, Queryable } from '../db/db.js';
import { partitionName } from '../db/partitions.js';
import type { LogLevel } from '../domain/record.js';
import { RouteNormaliser } from '../parse/routes.js';
import { compactBucket } from './compactRollups.js';
import { narrowTables, ROLLUP_RESOLUTIONS, SKETCH_TABLES } from '../db/rollupTables.js';
import { ROLLUP_WRITE_LOCK, RollupBuilder, upsertRollups } from './rollups.js';

/** Raw rows are read in pages of this many, so a rebuild's memory does not grow with the day. */
const PAGE_ROWS = 50_000;
const DAY_MS = 86_400_000;

export interface RebuildOptions {
  /** Inclusive; widened to the start of its UTC day. Default: the first day with raw rows. */
  from?: Date;
  /** Exclusive; widened to the end of its UTC day. Default: after the last day with raw rows. */
  to?: Date;
  onDay?: (day: string, rows: number) => void;
}

/** The days with raw rows (day partitions) within the options' range, oldest first. */
async function daysWithRawRows(db: Queryable, opts: RebuildOptions): Promise<string[]> {
  const from = opts.from ? new Date(Math.floor(opts.from.getTime() / DAY_MS) * DAY_MS) : null;
  const res = await db.query<{ day: string }>(
    `SELECT day::text AS day FROM log_partitions
     WHERE ($1::timestamptz IS NULL OR day >= $1::timestamptz::date) AND ($2::timestamptz IS NULL OR day < $2::timestamptz)
     ORDER BY day`,
    [from?.toISOString() ?? null, opts.to?.toISOString() ?? null],
  );
  return res.rows.map((r) => r.day);
}

interface RawRow {
  id: number;
  timestamp: string;
  source: string;
  route: string | null;
  method: string | null;
  status_code: number | null;
  log_level: LogLevel;
  bytes_sent: number | null;
  latency_ms: number | null;
  client_ip: string | null;
}

/**
 * Recomputes the rollups of whole UTC days from the raw rows, with the same aggregation code as
 * ingestion (so rebuilt and incrementally maintained rollups are identical). Each day is one
 * transaction: readers see the old or the new rollups of a day, never a mix. Days whose raw rows
 * are gone (retention) keep their rollups.
 */
export async function rebuildRollups(db: Db, opts: RebuildOptions = {}): Promise<{ days: string[]; rows: number }> {
  const days = await daysWithRawRows(db, opts);
  let total = 0;
  for (const day of days) {
    const rows = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ROLLUP_WRITE_LOCK]);
      if (db.kind === 'postgres') await tx.query('SET LOCAL statement_timeout = 0');
      const start = `${day}T00:00:00Z`;
      const end = new Date(Date.parse(start) + DAY_MS).toISOString();
      for (const table of [...ROLLUP_RESOLUTIONS.map((r) => r.table), ...narrowTables(), ...Object.values(SKETCH_TABLES)]) {
        await tx.query(`DELETE FROM ${table} WHERE bucket >= $1 AND bucket < $2`, [start, end]);
      }
      const rows = await addDayFromRawRows(tx, day);
      // The day's hours and the day itself now hold one part per page read: merge them right away.
      const parts = await tx.query<{ rollup_table: 'rollups_1h' | 'rollups_1d'; bucket: string }>(
        'DELETE FROM rollup_dirty WHERE bucket >= $1 AND bucket < $2 RETURNING rollup_table, bucket', [start, end],
      );
      for (const p of parts.rows) await compactBucket(tx, p.rollup_table, p.bucket);
      return rows;
    });
    total += rows;
    opts.onDay?.(day, rows);
  }
  return { days, rows: total };
}

/** Streams one day partition in keyset pages through RollupBuilders (one per source) and upserts them. */
async function addDayFromRawRows(tx: Queryable, day: string): Promise<number> {
  const table = partitionName(day);
  let after: { timestamp: string; id: number } | null = null;
  let rows = 0;
  for (;;) {
    const columns = 'id, timestamp, source, route, method, status_code, log_level, bytes_sent, latency_ms, client_ip';
    const page: { rows: RawRow[] } = after
      ? await tx.query<RawRow>(
          `SELECT ${columns} FROM ${table} WHERE (timestamp, id) > ($1::timestamptz, $2::bigint) ORDER BY timestamp, id LIMIT ${PAGE_ROWS}`,
          [after.timestamp, after.id],
        )
      : await tx.query<RawRow>(`SELECT ${columns} FROM ${table} ORDER BY timestamp, id LIMIT ${PAGE_ROWS}`);
    if (page.rows.length === 0) return rows;
    const builders = new Map<string, RollupBuilder>();
    for (const r of page.rows) {
      let b = builders.get(r.source);
      if (!b) builders.set(r.source, (b = new RollupBuilder(r.source)));
      b.add(
        {
          timestamp: Date.parse(r.timestamp), method: r.method, statusCode: r.status_code, level: r.log_level,
          bytesSent: r.bytes_sent, latencyMs: r.latency_ms, clientIp: r.client_ip,
        },
        r.route,
      );
    }
    for (const b of builders.values()) {
      const part = b.take();
      if (part) await upsertRollups(tx, part);
    }
    rows += page.rows.length;
    const last = page.rows[page.rows.length - 1]!;
    after = { timestamp: last.timestamp, id: last.id };
  }
}

/**
 * Recomputes `route` of stored rows with the current rules (after a rule change), day by day, then
 * rebuilds those days' rollups. Distinct endpoints are normalised in this process and written back
 * with one UPDATE per day that touches only rows whose route changes.
 */
export async function rebuildRoutes(db: Db, normaliser: RouteNormaliser, opts: RebuildOptions = {}): Promise<{ days: string[]; changed: number }> {
  const days = await daysWithRawRows(db, opts);
  let changed = 0;
  for (const day of days) {
    const table = partitionName(day);
    changed += await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ROLLUP_WRITE_LOCK]);
      if (db.kind === 'postgres') await tx.query('SET LOCAL statement_timeout = 0');
      const endpoints = await tx.query<{ endpoint: string }>(`SELECT DISTINCT endpoint FROM ${table} WHERE endpoint IS NOT NULL`);
      const paths = endpoints.rows.map((r) => r.endpoint);
      const res = await tx.query(
        `UPDATE ${table} AS l SET route = m.route
         FROM unnest($1::text[], $2::text[]) AS m(endpoint, route)
         WHERE l.endpoint = m.endpoint AND l.route IS DISTINCT FROM m.route`,
        [paths, paths.map((p) => normaliser.route(p))],
      );
      return res.rowCount;
    });
  }
  await rebuildRollups(db, opts);
  return { days, changed };
}

import type { Db, Queryable } from '../db/db.js';
import { rangeKind } from '../db/partitionPlan.js';
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

/**
 * The days with raw rows within the options' range, oldest first: the day of each day partition, and
 * in a month partition the days that hold rows (one index probe per such day, not 31 rebuilds of
 * mostly empty days).
 */
async function daysWithRawRows(db: Queryable, opts: RebuildOptions): Promise<string[]> {
  const fromMs = opts.from ? Math.floor(opts.from.getTime() / DAY_MS) * DAY_MS : null;
  const toMs = opts.to ? Math.ceil(opts.to.getTime() / DAY_MS) * DAY_MS : null;
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  const partitions = await db.query<{ day: string; end_day: string }>(
    `SELECT day::text AS day, end_day::text AS end_day FROM log_partitions
     WHERE ($1::timestamptz IS NULL OR (end_day::timestamp AT TIME ZONE 'UTC') > $1::timestamptz)
       AND ($2::timestamptz IS NULL OR (day::timestamp AT TIME ZONE 'UTC') < $2::timestamptz)
     ORDER BY day`,
    [iso(fromMs), iso(toMs)],
  );
  const days: string[] = [];
  for (const p of partitions.rows) {
    if (rangeKind({ day: p.day, endDay: p.end_day }) === 'day') {
      days.push(p.day);
      continue;
    }
    let from = Math.max(Date.parse(`${p.day}T00:00:00Z`), fromMs ?? -Infinity);
    const to = Math.min(Date.parse(`${p.end_day}T00:00:00Z`), toMs ?? Infinity);
    while (from < to) {
      const next = await db.query<{ timestamp: string }>(
        'SELECT timestamp FROM logs WHERE timestamp >= $1::timestamptz AND timestamp < $2::timestamptz ORDER BY timestamp LIMIT 1',
        [new Date(from).toISOString(), new Date(to).toISOString()],
      );
      const found = next.rows[0];
      if (!found) break;
      const dayMs = Math.floor(Date.parse(found.timestamp) / DAY_MS) * DAY_MS;
      days.push(new Date(dayMs).toISOString().slice(0, 10));
      from = dayMs + DAY_MS;
    }
  }
  return days;
}

/** [start, end) of a UTC day as ISO text: the time bounds that prune a read of `logs` to the partition holding it. */
function dayBounds(day: string): [string, string] {
  const start = `${day}T00:00:00Z`;
  return [start, new Date(Date.parse(start) + DAY_MS).toISOString()];
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
      const [start, end] = dayBounds(day);
      for (const table of [...ROLLUP_RESOLUTIONS.map((r) => r.table), ...narrowTables(), ...Object.values(SKETCH_TABLES)]) {
        await tx.query(`DELETE FROM ${table} WHERE bucket >= $1 AND bucket < $2`, [start, end]);
      }
      const rows = await addDayFromRawRows(tx, day);
      // The day's hours and the day itself now hold one part per page read: merge them right away.
      const parts = await tx.query<{ rollup_table: 'rollups_1h' | 'rollups_1d' | 'client_tops_1d'; bucket: string }>(
        'DELETE FROM rollup_dirty WHERE bucket >= $1 AND bucket < $2 RETURNING rollup_table, bucket', [start, end],
      );
      // A day waiting for its clients' recount (client_tops_1d) has its day bucket here too: compacting it recounts them.
      for (const p of parts.rows) if (p.rollup_table !== 'client_tops_1d') await compactBucket(tx, p.rollup_table, p.bucket);
      return rows;
    }, { unbounded: true });
    total += rows;
    opts.onDay?.(day, rows);
  }
  return { days, rows: total };
}

/** Streams one UTC day of raw rows in keyset pages through RollupBuilders (one per source) and upserts them. */
async function addDayFromRawRows(tx: Queryable, day: string): Promise<number> {
  const [start, end] = dayBounds(day);
  let after: { timestamp: string; id: number } | null = null;
  let rows = 0;
  for (;;) {
    const columns = 'id, timestamp, source, route, method, status_code, log_level, bytes_sent, latency_ms, client_ip';
    const inDay = 'timestamp >= $1::timestamptz AND timestamp < $2::timestamptz';
    const page: { rows: RawRow[] } = after
      ? await tx.query<RawRow>(
          `SELECT ${columns} FROM logs WHERE ${inDay} AND (timestamp, id) > ($3::timestamptz, $4::bigint) ORDER BY timestamp, id LIMIT ${PAGE_ROWS}`,
          [start, end, after.timestamp, after.id],
        )
      : await tx.query<RawRow>(`SELECT ${columns} FROM logs WHERE ${inDay} ORDER BY timestamp, id LIMIT ${PAGE_ROWS}`, [start, end]);
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
    const [start, end] = dayBounds(day);
    changed += await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ROLLUP_WRITE_LOCK]);
      const endpoints = await tx.query<{ endpoint: string }>(
        'SELECT DISTINCT endpoint FROM logs WHERE timestamp >= $1::timestamptz AND timestamp < $2::timestamptz AND endpoint IS NOT NULL',
        [start, end],
      );
      const paths = endpoints.rows.map((r) => r.endpoint);
      const res = await tx.query(
        `UPDATE logs AS l SET route = m.route
         FROM unnest($3::text[], $4::text[]) AS m(endpoint, route)
         WHERE l.timestamp >= $1::timestamptz AND l.timestamp < $2::timestamptz AND l.endpoint = m.endpoint AND l.route IS DISTINCT FROM m.route`,
        [start, end, paths, paths.map((p) => normaliser.route(p))],
      );
      return res.rowCount;
    }, { unbounded: true });
  }
  await rebuildRollups(db, opts);
  return { days, changed };
}

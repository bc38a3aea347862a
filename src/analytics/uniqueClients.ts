import { whereClause, type Queryable } from '../db/db.js';
import { allPartitionChunks, chunkConditions } from '../db/partitionWalk.js';
import { NARROW_ROLLUPS, SKETCH_TABLES } from '../db/rollupTables.js';
import { boundedDistinct, HLL_REGISTERS, hllAdd, hllEstimate, hllMerge } from '../domain/hyperLogLog.js';
import { answers, filterConditions, FULL_ROLLUPS, RECORDS, SOURCE_ROLLUPS } from '../query/compileFilter.js';
import type { RecordFilter } from '../query/recordFilter.js';
import { walkRange } from './facts.js';
import { splitRange, type RangePiece } from './timeRange.js';

/**
 * Whole hours and days of at most this many records (all of a range's together) have their client
 * addresses read from the raw rows, exactly, instead of from the sketches: a GROUP BY over this many
 * rows costs milliseconds, and a small range is where an estimate off by one is plainly wrong
 * (64 addresses in 64 requests read as 65).
 */
export const EXACT_CLIENTS_MAX_ROWS = 20_000;

type SketchedPiece = RangePiece & { source: 'rollups_1h' | 'rollups_1d' };

/**
 * Distinct client addresses in the range (null: not known), and whether the count is exact. Exact
 * wherever that is cheap, from the sketches where it is not:
 * - the seconds and minutes at the edges, and any range with no whole hour, from the raw rows;
 * - a filter on q or endpoint, from the raw rows it matches (the answer reads them anyway);
 * - a filter on status, level, route or method over whole hours: null, not known. The sketches and
 *   lists of busiest clients are kept per source only, and the raw rows would all have to be read;
 * - whole hours and days holding at most `maxRawRows` records, from the raw rows too (when they are
 *   all still there: their count must equal the rollups');
 * - whole days whose daily list of busiest clients holds every address of the day (floor 0, not
 *   written since it was counted), from that list;
 * - the rest from the HyperLogLog sketches, with the exact addresses above added to them.
 * An estimate is then bounded by the data (boundedDistinct): at least the addresses known exactly,
 * at most `records`, the records of the range (only they can carry an address; awaited last, so that
 * the caller may count them meanwhile).
 */
export async function uniqueClients(
  db: Queryable, p: RecordFilter, records: number | Promise<number>, maxRawRows = EXACT_CLIENTS_MAX_ROWS,
): Promise<{ count: number | null; approximate: boolean }> {
  const pieces = splitRange(p.startMs, p.endMs);
  const sketched = pieces.filter((x): x is SketchedPiece => x.source === 'rollups_1h' || x.source === 'rollups_1d');
  if (sketched.length === 0 || !answers(FULL_ROLLUPS, p)) return { count: await exactClients(db, p), approximate: false };
  // Narrowed by status, level, route or method over whole hours: the sketches know sources only, and
  // counting from the raw rows would read every row of the range (no index serves a route or a method).
  if (!answers(SOURCE_ROLLUPS, p)) return { count: null, approximate: false };
  const known = new Set<string>();
  const registers = new Uint8Array(HLL_REGISTERS);
  let sketches = 0;
  let budget = maxRawRows;
  for (const piece of sketched) {
    const rows = await pieceRecords(db, p, piece);
    if (rows <= budget) {
      const raw = await rawAddresses(db, p, piece.fromMs, piece.toMs);
      // Fewer raw rows than the rollups count: retention dropped some, and only the sketch has them all.
      if (raw.rows === rows) {
        budget -= rows;
        for (const a of raw.addresses) known.add(a);
        continue;
      }
    }
    const listed = piece.source === 'rollups_1d' ? await addCompleteDayLists(db, p, piece, known) : [];
    sketches += await mergeSketches(db, p, piece, listed, registers);
  }
  for (const piece of pieces.filter((x) => x.source === 'logs' || x.source === 'rollups_1m')) {
    for (const a of (await rawAddresses(db, p, piece.fromMs, piece.toMs)).addresses) known.add(a);
  }
  if (sketches === 0) return { count: known.size, approximate: false };
  for (const a of known) hllAdd(registers, a);
  const { count, exact } = boundedDistinct(hllEstimate(registers), known.size, await records);
  return { count, approximate: !exact };
}

/** The records of a whole-hour or whole-day piece, from the per-source rollups. */
async function pieceRecords(db: Queryable, p: RecordFilter, piece: SketchedPiece): Promise<number> {
  const params: unknown[] = [];
  const res = await db.query<{ n: number | null }>(
    `SELECT sum(records) AS n FROM ${NARROW_ROLLUPS.source[piece.source]}
     ${whereClause(filterConditions(p, SOURCE_ROLLUPS, params, { range: piece }))}`,
    params,
  );
  return res.rows[0]?.n ?? 0;
}

/**
 * The distinct addresses of the raw rows in [fromMs, toMs) and the number of those rows (with or
 * without an address), a chunk of partitions at a time (src/db/partitionWalk.ts).
 */
async function rawAddresses(db: Queryable, p: RecordFilter, fromMs: number | null, toMs: number | null): Promise<{ addresses: Set<string>; rows: number }> {
  const addresses = new Set<string>();
  let rows = 0;
  for (const chunk of await allPartitionChunks(db, walkRange({ startMs: fromMs, endMs: toMs }))) {
    const params: unknown[] = [];
    const conditions = [...filterConditions(p, RECORDS, params, { range: { fromMs, toMs } }), ...chunkConditions('timestamp', chunk, params)];
    const res = await db.query<{ client_ip: string | null; n: number }>(
      `SELECT client_ip, count(*) AS n FROM logs ${whereClause(conditions)} GROUP BY client_ip`, params,
    );
    for (const r of res.rows) {
      rows += r.n;
      if (r.client_ip !== null) addresses.add(r.client_ip);
    }
  }
  return { addresses, rows };
}

/**
 * Adds to `known` the addresses of the days of the piece whose lists of busiest clients are complete
 * for every source that has a sketch that day (floor 0: no address was left out; and the day not
 * written since its list was counted), and returns those days (as the database gives them).
 */
async function addCompleteDayLists(db: Queryable, p: RecordFilter, piece: SketchedPiece, known: Set<string>): Promise<string[]> {
  const params: unknown[] = [];
  const sketchedDays = `SELECT bucket, source FROM ${SKETCH_TABLES.rollups_1d}
    ${whereClause(filterConditions(p, SOURCE_ROLLUPS, params, { range: piece }))}`;
  const days = await db.query<{ bucket: string }>(
    `SELECT s.bucket FROM (${sketchedDays}) AS s
     LEFT JOIN client_top_floors_1d AS f ON f.bucket = s.bucket AND f.source = s.source AND f.floor = 0
     GROUP BY s.bucket
     HAVING bool_and(f.bucket IS NOT NULL) AND s.bucket NOT IN (SELECT bucket FROM rollup_dirty WHERE rollup_table = 'rollups_1d')`,
    params,
  );
  const listed = days.rows.map((r) => r.bucket);
  if (listed.length === 0) return [];
  const listParams: unknown[] = [listed];
  const res = await db.query<{ client_ip: string }>(
    `SELECT DISTINCT client_ip FROM client_tops_1d
     ${whereClause(['bucket = ANY($1::timestamptz[])', ...filterConditions(p, SOURCE_ROLLUPS, listParams, { range: false })])}`,
    listParams,
  );
  for (const r of res.rows) known.add(r.client_ip);
  return listed;
}

/** Merges the piece's sketches, but those of the `except` days, into `registers`; returns how many. */
async function mergeSketches(db: Queryable, p: RecordFilter, piece: SketchedPiece, except: string[], registers: Uint8Array): Promise<number> {
  const params: unknown[] = [];
  const conditions = filterConditions(p, SOURCE_ROLLUPS, params, { range: piece });
  if (except.length > 0) {
    params.push(except);
    conditions.push(`NOT (bucket = ANY($${params.length}::timestamptz[]))`);
  }
  const res = await db.query<{ registers: Uint8Array }>(
    `SELECT registers FROM ${SKETCH_TABLES[piece.source]} ${whereClause(conditions)}`, params,
  );
  for (const r of res.rows) hllMerge(registers, r.registers);
  return res.rows.length;
}

/**
 * Distinct client addresses of the raw rows in the range, counted exactly: in SQL when the range lies
 * within MAX_PARTITIONS_PER_STATEMENT partitions, else as a set of the addresses of each chunk of them
 * (no statement plans over every partition; the set holds the addresses of a filtered or short range).
 */
async function exactClients(db: Queryable, p: RecordFilter): Promise<number> {
  const chunks = await allPartitionChunks(db, walkRange(p));
  if (chunks.length === 0) return 0;
  if (chunks.length === 1) {
    const params: unknown[] = [];
    const conditions = [...filterConditions(p, RECORDS, params), ...chunkConditions('timestamp', chunks[0]!, params)];
    const res = await db.query<{ n: number }>(`SELECT count(DISTINCT client_ip) AS n FROM logs ${whereClause(conditions)}`, params);
    return res.rows[0]?.n ?? 0;
  }
  const seen = new Set<string>();
  for (const chunk of chunks) {
    const params: unknown[] = [];
    const conditions = [...filterConditions(p, RECORDS, params), ...chunkConditions('timestamp', chunk, params)];
    const res = await db.query<{ client_ip: string }>(
      `SELECT DISTINCT client_ip FROM logs ${whereClause([...conditions, 'client_ip IS NOT NULL'])}`, params,
    );
    for (const r of res.rows) seen.add(r.client_ip);
  }
  return seen.size;
}

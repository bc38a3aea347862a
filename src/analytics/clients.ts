import { whereClause, type Queryable } from '../db/db.js';
import { allPartitionChunks, chunkConditions, type PartitionChunk } from '../db/partitionWalk.js';
import { CLIENT_TOP_SIZE } from '../db/rollupTables.js';
import { answers, filterConditions, RECORDS, SOURCE_ROLLUPS } from '../query/compileFilter.js';
import type { RecordFilter } from '../query/recordFilter.js';
import { walkRange } from './facts.js';
import { pct } from './summary.js';
import { splitRange } from './timeRange.js';

export interface ClientRow {
  client_ip: string;
  count: number;
  errors: number;
  client_errors: number;
  error_rate_pct: number;
  bytes: number;
  /**
   * How many requests of this address the answer may have missed: 0 when its count is exact. An
   * address can fall below a day's list of busiest clients; it then had at most that day's floor.
   */
  count_error_upper_bound: number;
}

export interface TopClients {
  items: ClientRow[];
  /** True when every count is exact and no address left out can have more requests than the last one listed. */
  exact: boolean;
  source_of_truth: 'raw' | 'rollups' | 'rollups+raw';
}

interface Counts {
  client_ip: string;
  n: number;
  errors: number;
  client_errors: number;
  bytes: number;
}

const DAY_MS = 86_400_000;

/**
 * The busiest client addresses of a range with their error share. Whole days come from the daily
 * lists of busiest clients (client_tops_1d, counted when compaction merges a day), the rest of the
 * range (its edges, and days not compacted since their last write) from the raw rows. Where an
 * address is missing from a day's list it had at most that day's floor: the answer carries that
 * bound per address and says whether the ranking is proven exact. `exact: true` in the parameters
 * counts every address from the raw rows instead (a scan of the whole range), as does a filter on
 * more than the source (the daily lists are kept per source only): countsFromRawRows.
 */
export async function getTopClients(db: Queryable, p: RecordFilter & { limit: number; exact?: boolean }): Promise<TopClients> {
  if (countsFromRawRows(p, p.exact ?? false)) return { items: (await rawCounts(db, p, [[p.startMs, p.endMs]], p.limit)).map((c) => row(c, 0)), exact: true, source_of_truth: 'raw' };
  const days = splitRange(p.startMs, p.endMs).filter((x) => x.source === 'rollups_1d');
  const listed = days.length ? await listedDays(db, p, days[0]!.fromMs, days[0]!.toMs) : { days: [] as number[], floors: 0, counts: [] };
  const rawRanges = complement(p.startMs, p.endMs, listed.days);
  // One more than are kept: the last one's count bounds every address not read.
  const kept = Math.max(p.limit, CLIENT_TOP_SIZE);
  const raw = rawRanges.length ? await rawCounts(db, p, rawRanges, kept + 1) : [];
  const rawFloor = raw.length > kept ? raw.pop()!.n : 0;

  const merged = new Map<string, Counts & { bound: number }>();
  for (const c of listed.counts) merged.set(c.client_ip, { ...c, bound: listed.floors - c.listed_floors + rawFloor });
  for (const c of raw) {
    const m = merged.get(c.client_ip);
    if (m === undefined) merged.set(c.client_ip, { ...c, bound: listed.floors });
    else {
      m.n += c.n;
      m.errors += c.errors;
      m.client_errors += c.client_errors;
      m.bytes += c.bytes;
      m.bound -= rawFloor;
    }
  }
  const ranked = [...merged.values()].sort((a, b) => b.n - a.n || (a.client_ip < b.client_ip ? -1 : 1));
  const top = ranked.slice(0, p.limit);
  // Proven when no address left out can reach the last one returned: not one we know of (those
  // with exact counts rank below it by the same order as the plain GROUP BY), nor one in no list.
  const last = top.length ? top[top.length - 1]!.n : 0;
  const unknownMax = listed.floors + rawFloor;
  const proven = listed.days.length === 0 || (
    (unknownMax === 0 || (top.length === p.limit && unknownMax < last)) &&
    ranked.slice(p.limit).every((c) => c.bound === 0 || c.n + c.bound < last)
  );
  const exact = proven && top.every((c) => c.bound === 0);
  return {
    items: top.map((c) => row(c, c.bound)),
    exact,
    source_of_truth: listed.days.length === 0 ? 'raw' : rawRanges.length === 0 ? 'rollups' : 'rollups+raw',
  };
}

/**
 * Whether the counts come from the raw rows alone: when asked (`exact`), or when the filter names
 * more than the source, which is all the daily lists of busiest clients are kept by.
 */
export function countsFromRawRows(f: RecordFilter, exact: boolean): boolean {
  return exact || !answers(SOURCE_ROLLUPS, f);
}

function row(c: Counts, bound: number): ClientRow {
  return {
    client_ip: c.client_ip, count: c.n, errors: c.errors, client_errors: c.client_errors,
    error_rate_pct: pct(c.errors, c.n), bytes: c.bytes, count_error_upper_bound: bound,
  };
}

/**
 * The days in [fromMs, toMs) that have lists and were not written since their last compaction, the
 * sum of their floors, and the listed counts per address with the floors of the days that list it.
 */
async function listedDays(db: Queryable, p: RecordFilter, fromMs: number | null, toMs: number | null): Promise<{
  days: number[]; floors: number; counts: (Counts & { listed_floors: number })[];
}> {
  const params: unknown[] = [];
  const where = whereClause([
    ...filterConditions(p, SOURCE_ROLLUPS, params, { range: { fromMs, toMs } }),
    "bucket NOT IN (SELECT bucket FROM rollup_dirty WHERE rollup_table = 'rollups_1d')",
  ]);
  const floors = await db.query<{ bucket: string; floors: number }>(
    `SELECT bucket, sum(floor) AS floors FROM client_top_floors_1d ${where} GROUP BY bucket`, params,
  );
  if (floors.rows.length === 0) return { days: [], floors: 0, counts: [] };
  const days = floors.rows.map((r) => Date.parse(r.bucket));
  const listParams: unknown[] = [floors.rows.map((r) => r.bucket)];
  const listed = ['t.bucket = ANY($1::timestamptz[])', ...filterConditions(p, SOURCE_ROLLUPS, listParams, { range: false, alias: 't' })];
  const counts = await db.query<Counts & { listed_floors: number }>(
    `SELECT t.client_ip, sum(t.requests) AS n, sum(t.errors) AS errors, sum(t.client_errors) AS client_errors, sum(t.bytes_sent) AS bytes,
            sum(f.floor) AS listed_floors
     FROM client_tops_1d t JOIN client_top_floors_1d f USING (bucket, source)
     ${whereClause(listed)}
     GROUP BY t.client_ip`,
    listParams,
  );
  return { days, floors: floors.rows.reduce((a, r) => a + r.floors, 0), counts: counts.rows };
}

/** [start, end) minus the given whole days: the ranges to read from the raw rows. */
function complement(startMs: number | null, endMs: number | null, days: number[]): [number | null, number | null][] {
  const out: [number | null, number | null][] = [];
  let from = startMs;
  for (const d of [...days].sort((a, b) => a - b)) {
    if (from === null || from < d) out.push([from, d]);
    from = d + DAY_MS;
  }
  if (endMs === null || from === null || from < endMs) out.push([from, endMs]);
  return out;
}

/**
 * Requests per address over the given ranges of the raw rows, busiest first, at most `limit`. Ranges
 * within MAX_PARTITIONS_PER_STATEMENT partitions are one statement; wider ones (`exact=true` over all
 * data) are counted a chunk of partitions at a time and summed here, so that no statement plans over
 * every partition; the sums then hold every address of the ranges.
 */
async function rawCounts(db: Queryable, p: RecordFilter, ranges: [number | null, number | null][], limit: number): Promise<Counts[]> {
  const starts = ranges.map(([from]) => from);
  const ends = ranges.map(([, to]) => to);
  const chunks = await allPartitionChunks(db, walkRange({
    startMs: starts.includes(null) ? null : Math.min(...(starts as number[])),
    endMs: ends.includes(null) ? null : Math.max(...(ends as number[])),
  }));
  if (chunks.length === 0) return [];
  if (chunks.length === 1) return countsOf(db, p, ranges, chunks[0]!, limit);
  const sums = new Map<string, Counts>();
  for (const chunk of chunks) {
    for (const c of await countsOf(db, p, ranges, chunk, null)) {
      const s = sums.get(c.client_ip);
      if (s === undefined) sums.set(c.client_ip, c);
      else {
        s.n += c.n;
        s.errors += c.errors;
        s.client_errors += c.client_errors;
        s.bytes += c.bytes;
      }
    }
  }
  // The order of the statement's ORDER BY n DESC, client_ip COLLATE "C" (byte order).
  return [...sums.values()]
    .sort((a, b) => b.n - a.n || Buffer.compare(Buffer.from(a.client_ip), Buffer.from(b.client_ip)))
    .slice(0, limit);
}

/** Requests per address in the ranges, within one chunk of partitions; busiest first, at most `limit` (null: all). */
async function countsOf(
  db: Queryable, p: RecordFilter, ranges: [number | null, number | null][], chunk: PartitionChunk, limit: number | null,
): Promise<Counts[]> {
  const params: unknown[] = [];
  const ors = ranges.map(([from, to]) => {
    const c = filterConditions({ startMs: from, endMs: to }, RECORDS, params);
    return c.length ? `(${c.join(' AND ')})` : 'true';
  });
  const filtered = filterConditions(p, RECORDS, params, { range: false });
  const bounds = chunkConditions('timestamp', chunk, params);
  if (limit !== null) params.push(limit);
  const res = await db.query<Counts & { bytes: number | null }>(
    `SELECT client_ip, count(*) AS n, count(*) FILTER (WHERE status_code >= 500) AS errors,
            count(*) FILTER (WHERE status_code BETWEEN 400 AND 499) AS client_errors, sum(bytes_sent) AS bytes
     FROM logs ${whereClause([`(${ors.join(' OR ')})`, ...filtered, ...bounds, 'client_ip IS NOT NULL'])}
     GROUP BY client_ip ORDER BY n DESC, client_ip COLLATE "C"${limit === null ? '' : ` LIMIT $${params.length}`}`,
    params,
  );
  return res.rows.map((r) => ({ ...r, bytes: r.bytes ?? 0 }));
}

import type { Queryable } from '../db/db.js';
import { firstAndLast } from './summary.js';

/** The first and last record of one source (or of all, `source` null), as `/analytics/extent` answers. */
export interface SourceExtent {
  source: string | null;
  first: string | null;
  last: string | null;
}

const UPLOAD = 'upload a log with POST /logs/upload';

/**
 * What an empty answer says about where the data is, so that a range with nothing in it (a README's
 * dates, a relative range over old logs) is no dead end. Pure: `extents` are the stored extents of the
 * sources asked about (one entry, source null, when none was named), the range is the one asked.
 */
export function describeEmptyRange(extents: readonly SourceExtent[], range: { startMs: number | null; endMs: number | null }): string {
  const withData = extents.filter((e) => e.first !== null && e.last !== null);
  if (withData.length === 0) {
    const named = extents.filter((e) => e.source !== null).map((e) => `'${e.source}'`);
    return named.length === 0
      ? `no data stored yet; ${UPLOAD}`
      : `no records of source ${named.join(', ')}; GET /analytics/sources lists the sources`;
  }
  const overlaps = withData.some((e) =>
    (range.endMs === null || Date.parse(e.first!) < range.endMs) && (range.startMs === null || Date.parse(e.last!) >= range.startMs));
  const lead = overlaps ? 'no records in this range match the other filters' : 'no records in this range';
  const where = extents.map((e) => {
    if (e.source === null) return `data exists from ${e.first} to ${e.last}`;
    return e.first === null ? `source '${e.source}' has no records` : `source '${e.source}' has data from ${e.first} to ${e.last}`;
  });
  return `${lead}; ${where.join('; ')}`;
}

/**
 * The hint of an empty answer: the extent of each source asked about (all when `sources` is null), by
 * the index probes of `/analytics/extent`. Call it only when the answer is empty: it costs a query.
 */
export async function emptyRangeHint(
  db: Queryable, range: { startMs: number | null; endMs: number | null }, sources: readonly string[] | null,
): Promise<string> {
  const extents = await sourceExtents(db, sources);
  return describeEmptyRange(extents, range);
}

export async function sourceExtents(db: Queryable, sources: readonly string[] | null): Promise<SourceExtent[]> {
  const names = sources === null || sources.length === 0 ? [null] : sources;
  return Promise.all(names.map(async (source) => ({ source, ...(await firstAndLast(db, { startMs: null, endMs: null, sources: source === null ? undefined : [source] })) })));
}

/** The time of the newest record of these sources (all when null), for `latest` in a date; null when there is none. */
export async function latestRecordMs(db: Queryable, sources: readonly string[] | null): Promise<number | null> {
  const times = (await sourceExtents(db, sources)).map((e) => e.last).filter((t): t is string => t !== null).map((t) => Date.parse(t));
  return times.length === 0 ? null : Math.max(...times);
}

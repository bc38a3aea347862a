import { namesLatest, type DateAnchors } from '../query/filterParams.js';
import type { RecordFilter } from '../query/recordFilter.js';
import { AppError } from './errors.js';

const DAY_MS = 86_400_000;

function days(ms: number): string {
  const d = Math.ceil((ms / DAY_MS) * 10) / 10;
  return `${d} ${d === 1 ? 'day' : 'days'}`;
}

/**
 * On the embedded database a search that no index serves (a substring `q`, an `endpoint`, exact client
 * counts) reads every row of its range in the one backend that serves the whole process, and PGlite
 * cannot interrupt a statement: an open range would hold every other request for as long as it runs.
 * So there such a search needs `start_date`, and its range (to `end_date`, or to now) may span at most
 * `maxDays` (EMBEDDED_SCAN_MAX_DAYS; 0: no bound). PostgreSQL bounds it with statement_timeout instead.
 */
export function checkEmbeddedScanRange(opts: {
  /** The database's Db.singleBackend: whether a scan holds up every other statement and cannot be interrupted. */
  singleBackend: boolean; maxDays: number; what: string; startMs: number | null; endMs: number | null; now?: number;
}): void {
  if (!opts.singleBackend || opts.maxDays === 0) return;
  const bound = `on the embedded database ${opts.what} scans at most ${days(opts.maxDays * DAY_MS)}`;
  const advice = 'narrow start_date/end_date, or use PostgreSQL (DATABASE_URL)';
  if (opts.startMs === null) throw AppError.badParam('start_date', `${bound} and needs start_date (the range runs to end_date, else to now): ${advice}`);
  const span = (opts.endMs ?? opts.now ?? Date.now()) - opts.startMs;
  if (span > opts.maxDays * DAY_MS) throw AppError.badParam('start_date', `${bound}; this range is ${days(span)}: ${advice}`);
}

/**
 * Where a scan of raw rows ends, for the embedded database's bound on it: `end_date`, else, when
 * `start_date` counts from `latest`, just after the newest record (no row lies beyond it, so
 * `start_date=latest-24h` over last year's log is a day's scan, not a year's), else open (to now).
 */
export function scanEndMs(filter: RecordFilter, startGiven: string | undefined, anchors: DateAnchors): number | null {
  if (filter.endMs !== null) return filter.endMs;
  return namesLatest(startGiven) && typeof anchors.latestMs === 'number' ? anchors.latestMs + 1 : null;
}

/** checkEmbeddedScanRange for a scan of the raw rows of a record filter's range (GET /logs with q or endpoint, analytics from raw rows). */
export function checkRecordScan(
  bound: { singleBackend: boolean; maxDays: number }, what: string, filter: RecordFilter, anchors: DateAnchors, startGiven: string | undefined,
): void {
  checkEmbeddedScanRange({ ...bound, what, startMs: filter.startMs, endMs: scanEndMs(filter, startGiven, anchors) });
}

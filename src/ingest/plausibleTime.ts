/**
 * Whether a parsed line's timestamp is one we store. Every stored day costs a partition (or a share of
 * a month's), so a line dated by a host whose clock was never set (1970), or decades away from the
 * rest of its file, or in the future, is rejected instead of stored (`time_out_of_range`,
 * `time_decades_early`, `time_in_future`): the line is kept in rejected_lines, where the user sees it,
 * and one bad clock cannot make thousands of partitions.
 */
import type { RejectionCode } from '../domain/rejection.js';

/** Absolute bounds, whatever the file: years outside 1970–2099 never get a partition. */
export const MIN_TIMESTAMP_MS = Date.UTC(1970, 0, 1);
export const MAX_TIMESTAMP_MS = Date.UTC(2100, 0, 1);
const DAY_MS = 86_400_000;
/** Later than the wall clock by more than this: in the future (a day covers any time zone mistake). */
export const FUTURE_SLACK_MS = DAY_MS;
/** Earlier than the file's anchor by more than this many years: from a clock that was not set. */
export const MAX_YEARS_BEFORE_ANCHOR = 10;

export interface TimeBounds {
  /** The job's anchor (see anchorOf), or null: then no bound relative to the file. */
  anchorMs: number | null;
  /** The wall clock when the line is judged. */
  nowMs: number;
}

/** The earliest plausible timestamp for an anchor: the same calendar date MAX_YEARS_BEFORE_ANCHOR years before. */
export function earliestForAnchor(anchorMs: number): number {
  const d = new Date(anchorMs);
  d.setUTCFullYear(d.getUTCFullYear() - MAX_YEARS_BEFORE_ANCHOR);
  return d.getTime();
}

/** Null when the timestamp is plausible, else the code to reject its line with (a string: nothing allocated per line). */
export function implausibleTime(timestampMs: number, bounds: TimeBounds): RejectionCode | null {
  // Written so that NaN fails the test too.
  if (!(timestampMs >= MIN_TIMESTAMP_MS && timestampMs < MAX_TIMESTAMP_MS)) return 'time_out_of_range';
  if (timestampMs > bounds.nowMs + FUTURE_SLACK_MS) return 'time_in_future';
  // Ten calendar years are at least 3,652 days: a line within 3,650 days of the anchor needs no calendar (a Date per line cost 0.4 µs).
  if (bounds.anchorMs !== null && timestampMs < bounds.anchorMs - 3_650 * DAY_MS && timestampMs < earliestForAnchor(bounds.anchorMs)) return 'time_decades_early';
  return null;
}

/** The detail of a line implausibleTime rejected: its time, and for a line decades early the time of the file. */
export function implausibleTimeDetail(code: RejectionCode, timestampMs: number, bounds: TimeBounds): string {
  const at = isoOrNumber(timestampMs);
  return code === 'time_decades_early' && bounds.anchorMs !== null ? `${at}; the file's lines are near ${isoOrNumber(bounds.anchorMs)}` : at;
}

/** ISO 8601 in UTC, or the number itself where Date has no date for it (NaN, beyond ±275,000 years). */
function isoOrNumber(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/**
 * A file's anchor: the median of the timestamps its sample lines parse to (those within the absolute
 * bounds), the lower middle one of an even count; null without any. The median, so that a few lines
 * from a wrong clock among the sample do not move it.
 */
export function anchorOf(timestampsMs: readonly number[]): number | null {
  const usable = timestampsMs.filter((t) => t >= MIN_TIMESTAMP_MS && t < MAX_TIMESTAMP_MS).sort((a, b) => a - b);
  if (usable.length === 0) return null;
  return usable[Math.floor((usable.length - 1) / 2)]!;
}

/**
 * Whether a parsed line's timestamp is one we store. Every stored day costs a partition (or a share of
 * a month's), so a line dated by a host whose clock was never set (1970), or decades away from the
 * rest of its file, or in the future, is rejected with a reason instead of stored: the line is kept
 * in rejected_lines, where the user sees it, and one bad clock cannot make thousands of partitions.
 */

/** Absolute bounds, whatever the file: years outside 1970–2099 never get a partition. */
export const MIN_TIMESTAMP_MS = Date.UTC(1970, 0, 1);
export const MAX_TIMESTAMP_MS = Date.UTC(2100, 0, 1);
const DAY_MS = 86_400_000;
/** Later than the wall clock by more than this: in the future (a day covers any time zone mistake). */
export const FUTURE_SLACK_MS = DAY_MS;
/** Earlier than the file's anchor by more than this many years: from a clock that was not set. */
export const MAX_YEARS_BEFORE_ANCHOR = 10;

// Fixed wording, without the value: a later issue turns reasons into a fixed vocabulary.
export const REASON_OUTSIDE = 'timestamp outside 1970–2099';
export const REASON_FUTURE = "timestamp in the future (more than a day after the upload): the host's clock or the log's time zone is wrong";
export const REASON_DECADES_BEFORE = "timestamp decades before the rest of the file (the host's clock was not set?)";

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

/** Null when the timestamp is plausible, else the reason to reject its line. */
export function implausibleTimeReason(timestampMs: number, bounds: TimeBounds): string | null {
  // Written so that NaN fails the test too.
  if (!(timestampMs >= MIN_TIMESTAMP_MS && timestampMs < MAX_TIMESTAMP_MS)) return REASON_OUTSIDE;
  if (timestampMs > bounds.nowMs + FUTURE_SLACK_MS) return REASON_FUTURE;
  if (bounds.anchorMs !== null && timestampMs < earliestForAnchor(bounds.anchorMs)) return REASON_DECADES_BEFORE;
  return null;
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

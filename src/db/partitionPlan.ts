/**
 * Which partition of `logs` holds a day: pure decisions, no database. A partition covers one UTC day
 * or one UTC month, never both kinds in one month, so ranges never overlap.
 *
 * Bound on what one ingest job creates (issue 13: a file with one line per day over 26 years made a
 * partition per day, and queries planned over all of them):
 * - a day wants a day partition only within DAY_PARTITION_REACH_DAYS of the job's anchor (the median
 *   time of its first lines) or of the wall clock, else its month's partition. Day partitions are
 *   therefore made only in the months those two windows touch (at most 6 + 4 months: ≤ 310 days, in
 *   practice about 125 + 63), or in a month that already held day partitions before the job;
 * - month partitions: at most one per month of the plausible span (src/ingest/plausibleTime.ts: from
 *   10 years before the anchor to a day after the upload), 12 per year.
 * The wall clock's window is ours, beside the anchor's: a long file of old logs that reaches today
 * would otherwise put this month and the last into month partitions, and live data would then land
 * in a month-long partition that never goes quiet for its search index.
 */

export type PartitionKind = 'day' | 'month';

/** [day, endDay) in UTC days, as YYYY-MM-DD. */
export interface PartitionRange {
  day: string;
  endDay: string;
}

const DAY_MS = 86_400_000;
export const DAY_PARTITION_REACH_DAYS = 62;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function dayNumber(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The partition kind a day's rows want, from the job's anchor (null: none) and the wall clock. */
export function wantedPartition(dayStartMs: number, anchorMs: number | null, nowMs: number): PartitionKind {
  const d = dayNumber(dayStartMs);
  const near = (ms: number): boolean => Math.abs(d - dayNumber(ms)) <= DAY_PARTITION_REACH_DAYS;
  return (anchorMs !== null && near(anchorMs)) || near(nowMs) ? 'day' : 'month';
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function dayRange(day: string): PartitionRange {
  return { day, endDay: addDays(day, 1) };
}

export function monthRange(day: string): PartitionRange {
  const d = new Date(`${day.slice(0, 7)}-01T00:00:00Z`);
  const start = d.toISOString().slice(0, 10);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return { day: start, endDay: d.toISOString().slice(0, 10) };
}

export function rangeKind(r: PartitionRange): PartitionKind {
  return r.endDay === addDays(r.day, 1) ? 'day' : 'month';
}

/**
 * `logs_p20261010` (a day) or `logs_m202610` (a month). Built from our own date formatting (checked
 * here), never from input, since it is spliced into DDL and COPY.
 */
export function partitionTableName(r: PartitionRange): string {
  if (!DAY_RE.test(r.day) || !DAY_RE.test(r.endDay)) throw new Error(`not a partition range: ${r.day}..${r.endDay}`);
  if (rangeKind(r) === 'day') return `logs_p${r.day.replaceAll('-', '')}`;
  const month = monthRange(r.day);
  if (month.day !== r.day || month.endDay !== r.endDay) throw new Error(`not a day or a month: ${r.day}..${r.endDay}`);
  return `logs_m${r.day.slice(0, 7).replace('-', '')}`;
}

export function covers(r: PartitionRange, day: string): boolean {
  return r.day <= day && day < r.endDay;
}

/**
 * Where a day's rows go, given the partitions that exist: the one covering the day; else a new
 * partition of the kind the rows want, except that a month already holding day partitions gets
 * another day partition (a month never holds both kinds).
 */
export function choosePartition(
  day: string, wants: PartitionKind, existing: readonly PartitionRange[],
): { range: PartitionRange; create: boolean } {
  const covering = existing.find((r) => covers(r, day));
  if (covering) return { range: covering, create: false };
  const month = monthRange(day);
  const monthHasDays = existing.some((r) => r.day >= month.day && r.day < month.endDay);
  return { range: wants === 'day' || monthHasDays ? dayRange(day) : month, create: true };
}

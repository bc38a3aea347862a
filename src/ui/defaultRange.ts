/**
 * Which range the dashboard opens on when the URL names none, as plain functions over the API's answers.
 *
 * "The newest day of any data" goes wrong as soon as a small log is newer than the big one: a 10-line
 * error log uploaded last made the Overview open on a day with no requests. So the dashboard opens on the
 * latest day of the newest source that holds the bulk of the data (at least BULK_SHARE of the busiest
 * source's records), and says so when a newer, smaller source was passed over.
 */

import type { SourceCount } from '../api/wireTypes.js';

/** One row of GET /analytics/sources (`last_bucket`: the start of the source's latest day with records). */
export type { SourceCount };

/** A source holds "the bulk" of the data with at least this share of the busiest source's records. */
export const BULK_SHARE = 0.1;

export const DEFAULT_SPAN_MS = 86_400_000;

export interface SourceChoice {
  chosen: SourceCount;
  /** Sources with records on a later day than the chosen one's, too small to open on. */
  passedOver: SourceCount[];
}

/** The source whose latest day the dashboard opens on; null when there is no data. */
export function chooseDefaultSource(sources: SourceCount[]): SourceChoice | null {
  const withData = sources.filter((s) => s.records > 0);
  const busiest = Math.max(0, ...withData.map((s) => s.records));
  if (busiest === 0) return null;
  const bulk = withData.filter((s) => s.records >= busiest * BULK_SHARE);
  // Newest day first; on the same day, the bigger source.
  const chosen = [...bulk].sort((a, b) => Date.parse(b.last_bucket) - Date.parse(a.last_bucket) || b.records - a.records)[0]!;
  const passedOver = withData.filter((s) => Date.parse(s.last_bucket) > Date.parse(chosen.last_bucket));
  return { chosen, passedOver };
}

/**
 * The day up to the minute after the last record (whole minutes, as the rollups count them), starting
 * no earlier than the first record's minute.
 */
export function latestDayWindow(firstIso: string, lastIso: string, spanMs = DEFAULT_SPAN_MS): { from: string; to: string } {
  const end = Math.floor(Date.parse(lastIso) / 60_000) * 60_000 + 60_000;
  const start = Math.floor(Math.max(Date.parse(firstIso), end - spanMs) / 60_000) * 60_000;
  return { from: new Date(start).toISOString(), to: new Date(end).toISOString() };
}

const plural = (n: number, one: string, many: string): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/**
 * The sentence above the page saying which range it opened on and why: `Showing web-1's latest day of
 * data, 2026-10-02: errors (10 records) has newer records, too few to open on.` The date is that of the
 * last record shown; `source` null (one source in all) leaves the source unnamed.
 */
export function describeDefaultRange(source: string | null, lastIso: string, passedOver: SourceCount[] = []): string {
  const day = new Date(lastIso).toISOString().slice(0, 10);
  const shown = `Showing ${source === null ? 'the' : `${source}'s`} latest day of data, ${day}`;
  if (passedOver.length === 0) return `${shown}.`;
  const newer = passedOver.map((s) => `${s.source} (${plural(s.records, 'record', 'records')})`).join(', ');
  return `${shown}: ${newer} ${passedOver.length === 1 ? 'has' : 'have'} newer records, too few to open on.`;
}

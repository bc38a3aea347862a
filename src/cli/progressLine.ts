/**
 * The text of `ingest`'s progress: pure, so that what a person reads is tested without a terminal.
 * A rate is only shown once it means something (at least MIN_RATE_SECS of measurement): a first
 * chunk sent in a millisecond is not "6666667 lines/s", and no rate means "ETA –", never NaN or Infinity.
 */

import { formatBytes } from '../domain/bytes.js';

/** Below this much measured time a rate is noise. */
export const MIN_RATE_SECS = 1;

/** 512 B, 1.5 KiB, 2.0 GiB (a negative count, from a clock or counter going back, as 0). */
export function humanBytes(bytes: number): string {
  return formatBytes(Math.max(0, bytes));
}

/** Units per second over `elapsedSecs`, or undefined while it would be noise (or nothing moved). */
export function rate(done: number, elapsedSecs: number): number | undefined {
  if (!(elapsedSecs >= MIN_RATE_SECS) || !(done > 0)) return undefined;
  return done / elapsedSecs;
}

/** 45s, 3m 05s, 2h 07m; 0s when nothing remains; – when the rate is not known. */
export function formatEta(remaining: number, perSec: number | undefined): string {
  if (remaining <= 0) return '0s';
  if (perSec === undefined || !(perSec > 0) || !Number.isFinite(remaining)) return '–';
  const secs = Math.ceil(Math.max(0, remaining) / perSec);
  if (secs < 60) return `${secs}s`;
  const mins = Math.floor(secs / 60);
  if (mins < 60) return `${mins}m ${String(secs % 60).padStart(2, '0')}s`;
  return `${Math.floor(mins / 60)}h ${String(mins % 60).padStart(2, '0')}m`;
}

/** Whole percent of `total` (100 for an empty total: nothing is left to do). */
export function percent(done: number, total: number): number {
  if (!(total > 0)) return 100;
  return Math.min(100, Math.max(0, Math.floor((done / total) * 100)));
}

function bar(pct: number, width: number): string {
  const full = Math.round((pct / 100) * width);
  return `[${'='.repeat(full)}${' '.repeat(width - full)}]`;
}

export interface ByteProgress {
  /** What is moving, e.g. `upload access.log`. */
  label: string;
  done: number;
  total: number;
  elapsedSecs: number;
}

/** `upload a.log [=====     ] 50% 1.0 MiB/2.0 MiB 512.0 KiB/s ETA 2s` (the bar only on a terminal). */
export function byteProgressLine(p: ByteProgress, opts: { barWidth?: number } = {}): string {
  const pct = percent(p.done, p.total);
  const perSec = rate(p.done, p.elapsedSecs);
  return [
    p.label,
    ...(opts.barWidth ? [bar(pct, opts.barWidth)] : []),
    `${pct}%`,
    `${humanBytes(p.done)}/${humanBytes(p.total)}`,
    perSec === undefined ? '– B/s' : `${humanBytes(perSec)}/s`,
    `ETA ${formatEta(p.total - p.done, perSec)}`,
  ].join(' ');
}

export interface ParseProgress {
  label: string;
  bytesProcessed: number;
  bytesTotal: number;
  linesProcessed: number;
  /** Lines, bytes and seconds since the first look at the job: its own counters, not the upload's time. */
  linesSinceFirstSeen: number;
  bytesSinceFirstSeen: number;
  secsSinceFirstSeen: number;
}

/** `parse a.log [====      ] 40% 120000 lines 30000 lines/s ETA 6s`: the job's counters as the server reports them. */
export function parseProgressLine(p: ParseProgress, opts: { barWidth?: number } = {}): string {
  const pct = percent(p.bytesProcessed, p.bytesTotal);
  const linesPerSec = rate(p.linesSinceFirstSeen, p.secsSinceFirstSeen);
  // The ETA is over bytes, the only quantity whose total is known before the end.
  const bytesPerSec = rate(p.bytesSinceFirstSeen, p.secsSinceFirstSeen);
  return [
    p.label,
    ...(opts.barWidth ? [bar(pct, opts.barWidth)] : []),
    `${pct}%`,
    `${p.linesProcessed} lines`,
    linesPerSec === undefined ? '– lines/s' : `${Math.round(linesPerSec)} lines/s`,
    `ETA ${formatEta(p.bytesTotal - p.bytesProcessed, bytesPerSec)}`,
  ].join(' ');
}

/**
 * Which quarter (0–4) of the work a plain-text report has reached: off a terminal a line is printed
 * only when this grows, so a long upload prints a handful of lines, not hundreds.
 */
export function quarter(done: number, total: number): number {
  return Math.floor(percent(done, total) / 25);
}

/** `parsed 120000 lines in 4.0s (30000 lines/s)` from the job's started_at and finished_at; the rate only over a measurable time. */
export function parseSummary(lines: number, startedAt: string | null, finishedAt: string | null): string | undefined {
  if (startedAt === null || finishedAt === null) return undefined;
  const secs = (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000;
  if (!Number.isFinite(secs) || secs < 0) return undefined;
  const perSec = rate(lines, secs);
  return `parsed ${lines} lines in ${secs.toFixed(1)}s${perSec === undefined ? '' : ` (${Math.round(perSec)} lines/s)`}`;
}

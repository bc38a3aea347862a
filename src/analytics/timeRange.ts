import type { RollupTable } from '../db/rollupTables.js';
import { ceilTo, floorTo } from '../domain/timeBuckets.js';

/** Where one part of a time range is read from: a rollup table, or the raw rows. */
export type FactSource = RollupTable | 'logs';

/** [fromMs, toMs) of one source; null is unbounded (the range had no start or no end). */
export interface RangePiece {
  source: FactSource;
  fromMs: number | null;
  toMs: number | null;
}

const LEVELS: { source: FactSource; unitMs: number }[] = [
  { source: 'logs', unitMs: 0 },
  { source: 'rollups_1m', unitMs: 60_000 },
  { source: 'rollups_1h', unitMs: 3_600_000 },
  { source: 'rollups_1d', unitMs: 86_400_000 },
];


/**
 * Splits [start, end) into pieces that together cover it exactly once: whole UTC days from the daily
 * rollups, whole hours at the ends from the hourly ones, whole minutes from the minute ones, and the
 * seconds left at the edges from the raw rows. Counts over the pieces are therefore exact for any
 * range, and the work grows with the number of days, not with the number of log lines. No piece
 * is read at a resolution coarser than `coarsestMs` (a 5-minute chart cannot use hourly rollups).
 */
export function splitRange(startMs: number | null, endMs: number | null, coarsestMs = 86_400_000): RangePiece[] {
  const pieces: RangePiece[] = [];
  let lo = startMs;
  let hi = endMs;
  let level = 1;
  for (; level < LEVELS.length && LEVELS[level]!.unitMs <= coarsestMs; level++) {
    const finer = LEVELS[level - 1]!.source;
    const unit = LEVELS[level]!.unitMs;
    const alignedLo = lo === null ? null : ceilTo(lo, unit);
    const alignedHi = hi === null ? null : floorTo(hi, unit);
    if (alignedLo !== null && alignedHi !== null && alignedLo >= alignedHi) {
      // No whole unit inside: the rest is read at the finer level.
      if (lo !== null && hi !== null && lo >= hi) return pieces;
      pieces.push({ source: finer, fromMs: lo, toMs: hi });
      return pieces;
    }
    if (lo !== null && alignedLo !== lo) pieces.push({ source: finer, fromMs: lo, toMs: alignedLo });
    if (hi !== null && alignedHi !== hi) pieces.push({ source: finer, fromMs: alignedHi, toMs: hi });
    lo = alignedLo;
    hi = alignedHi;
  }
  pieces.push({ source: LEVELS[level - 1]!.source, fromMs: lo, toMs: hi });
  return pieces;
}

/**
 * What a rule's steps are computed from: values per minute of event time, read within ranges of
 * whole minutes. stepChunks.ts asks for them a chunk at a time; series.ts answers from the database.
 */
import type { BucketCounts } from '../domain/latencyHistogram.js';

/** Steps are one minute apart: the window ending at each whole minute. */
export const STEP_MS = 60_000;

/** A stretch of event time [from, to) in ms, whole minutes. */
export type Range = readonly [number, number];

export interface MinuteCounts {
  /** Records matching the rule's filter. */
  matching: number;
  /** Records of the rule's sources (the whole filter's scope): a ratio's denominator. */
  total: number;
}

/** One minute's latencies: the histogram of the matching requests, and the largest of them (what bounds its quantiles). */
export interface MinuteLatency {
  hist: BucketCounts;
  maxMs: number;
}

/** What a rule's steps are computed from, per minute (keyed by the minute's start), within sorted, disjoint ranges. */
export interface RuleMinutes {
  /** Matching and total records per minute. */
  counts(ranges: readonly Range[]): Promise<Map<number, MinuteCounts>>;
  /** The latency histogram of the matching requests per minute, with their largest latency (minutes without any: absent). */
  latency(ranges: readonly Range[]): Promise<Map<number, MinuteLatency>>;
  /** new_value: how many values of the rule's field appear for the first time ever in each minute. */
  firstSeen(ranges: readonly Range[]): Promise<Map<number, MinuteCounts>>;
  /** The first minute with any record in the rule's scope (its sources), null when there is none. */
  firstDataMinute(ranges: readonly Range[]): Promise<number | null>;
}

/** Sorted, with touching or overlapping ranges joined; empty ones dropped. */
export function mergeRanges(ranges: readonly Range[]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [from, to] of [...ranges].filter(([f, t]) => f < t).sort((a, b) => a[0] - b[0])) {
    const last = merged[merged.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}

/** The parts of `ranges` outside `minus` (both merged). */
export function subtractRanges(ranges: readonly Range[], minus: readonly Range[]): [number, number][] {
  const out: [number, number][] = [];
  for (const [from, to] of ranges) {
    let start = from;
    for (const [f, t] of minus) {
      if (t <= start || f >= to) continue;
      if (f > start) out.push([start, f]);
      start = Math.max(start, t);
    }
    if (start < to) out.push([start, to]);
  }
  return out;
}

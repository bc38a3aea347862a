/**
 * A rule's steps over any stretch of event time, a chunk of window ends at a time, in memory that
 * depends on the chunk and the window, never on the stretch: a job's span or a 31-day backtest is a
 * loop over chunks of a day, each reading only the minutes it needs, with what a window carries from
 * one chunk to the next (its running sums, its latency histogram) kept between them.
 *
 * Pure but for the reads, which go through `RuleMinutes` (minutes.ts): series.ts reads them from the
 * database, the tests from generated minutes.
 */
import { boundedLatency, quantile, type BucketCounts } from '../domain/latencyHistogram.js';
import { anomalyChunks } from './anomalySteps.js';
import { mergeRanges, STEP_MS, type MinuteCounts, type MinuteLatency, type Range, type RuleMinutes } from './minutes.js';
import { effectiveSettings, type Rule } from './rule.js';
import type { Step } from './stateMachine.js';

/** Window ends per chunk: a day of steps. */
export const CHUNK_STEPS = 1_440;

/**
 * A window's value kept up to date as minutes enter and leave it: `add` the minute entering,
 * `remove` the one leaving, read the value. Adding and subtracting costs a minute's worth of work
 * per step whatever the window's length (a 7-day latency window re-merged every step was 10,080
 * histograms per step).
 */
interface SlidingWindow<M> {
  add(minute: M | undefined): void;
  remove(minute: M | undefined): void;
  value(): number | null;
}

/** count and absence: the matching records; ratio: their share of all records in percent (null under min_requests). */
function countWindow(rule: Rule): SlidingWindow<MinuteCounts> {
  const { minRequests } = effectiveSettings(rule);
  let matching = 0;
  let total = 0;
  return {
    add(m) {
      matching += m?.matching ?? 0;
      total += m?.total ?? 0;
    },
    remove(m) {
      matching -= m?.matching ?? 0;
      total -= m?.total ?? 0;
    },
    value() {
      if (rule.kind !== 'ratio') return matching;
      return total >= minRequests && total > 0 ? Math.round((matching / total) * 10_000) / 100 : null;
    },
  };
}

/**
 * latency: the rule's percentile of the window's histogram, in ms (null without any request), never
 * above the window's largest latency (boundedLatency). That maximum slides with the window: minutes
 * leave in the order they entered, so a queue of the minutes that may still be the largest (each
 * larger than every later one, the front the largest) gives it at a step's cost, not a window's.
 */
function latencyWindow(rule: Rule): SlidingWindow<MinuteLatency> {
  const q = Number(effectiveSettings(rule).percentile.slice(1)) / 100;
  const window: BucketCounts = new Map();
  const maxima: { seq: number; maxMs: number }[] = [];
  let added = 0;
  let removed = 0;
  return {
    add(m) {
      const seq = added++;
      if (m === undefined) return;
      for (const [b, n] of m.hist) window.set(b, (window.get(b) ?? 0) + n);
      while (maxima.length > 0 && maxima[maxima.length - 1]!.maxMs <= m.maxMs) maxima.pop();
      maxima.push({ seq, maxMs: m.maxMs });
    },
    remove(m) {
      const seq = removed++;
      if (maxima[0]?.seq === seq) maxima.shift();
      for (const [b, n] of m?.hist ?? []) {
        // Counts are whole numbers, so a bucket that empties is exactly zero: dropped, the quantile never sees it.
        const left = (window.get(b) ?? 0) - n;
        if (left === 0) window.delete(b);
        else window.set(b, left);
      }
    },
    value() {
      return boundedLatency(quantile(window, q), maxima[0]?.maxMs ?? null);
    },
  };
}

/**
 * Steps of a window kept by adding and removing minutes. The minutes before the first window end
 * enter through "lead-in" ends that yield no step (empty chunks), so that a 7-day window reads its
 * week a chunk at a time too. Each chunk reads the minutes entering its windows and those leaving
 * them: at most two chunks' worth.
 */
async function* slidingChunks<M>(
  read: (ranges: readonly Range[]) => Promise<Map<number, M>>, window: SlidingWindow<M>,
  windowMs: number, firstEndMs: number, lastEndMs: number, chunkSteps: number,
): AsyncGenerator<Step[]> {
  const firstMinute = firstEndMs - windowMs;
  for (let from = firstMinute + STEP_MS; from <= lastEndMs; from += chunkSteps * STEP_MS) {
    const to = Math.min(from + (chunkSteps - 1) * STEP_MS, lastEndMs);
    // The window ending at `end` holds the minutes [end − window, end): each end adds end − 1m and drops end − 1m − window.
    const minutes = await read(mergeRanges([[from - STEP_MS, to], [Math.max(from - STEP_MS - windowMs, firstMinute), to - windowMs]]));
    const steps: Step[] = [];
    for (let end = from; end <= to; end += STEP_MS) {
      window.add(minutes.get(end - STEP_MS));
      if (end - STEP_MS - windowMs >= firstMinute) window.remove(minutes.get(end - STEP_MS - windowMs));
      if (end >= firstEndMs) steps.push({ windowStartMs: end - windowMs, windowEndMs: end, value: window.value() });
    }
    yield steps;
  }
}

/**
 * The rule's steps for every window end from `firstEndMs` to `lastEndMs` (whole minutes, inclusive),
 * in time order, at most `chunkSteps` window ends per chunk (a chunk may hold no step while a long
 * window's lead-in is read). The consumer pulls one chunk at a time: that is where it yields to the
 * event loop, commits, or stops.
 */
export async function* stepChunks(
  minutes: RuleMinutes, rule: Rule, firstEndMs: number, lastEndMs: number, chunkSteps = CHUNK_STEPS,
): AsyncGenerator<Step[]> {
  if (lastEndMs < firstEndMs) return;
  const { windowMs } = effectiveSettings(rule);
  const chunk = Math.max(1, Math.floor(chunkSteps));
  switch (rule.kind) {
    case 'anomaly':
      yield* anomalyChunks(minutes, rule, firstEndMs, lastEndMs, chunk);
      return;
    case 'latency':
      yield* slidingChunks((r) => minutes.latency(r), latencyWindow(rule), windowMs, firstEndMs, lastEndMs, chunk);
      return;
    case 'new_value':
      yield* slidingChunks((r) => minutes.firstSeen(r), countWindow(rule), windowMs, firstEndMs, lastEndMs, chunk);
      return;
    default:
      yield* slidingChunks((r) => minutes.counts(r), countWindow(rule), windowMs, firstEndMs, lastEndMs, chunk);
  }
}

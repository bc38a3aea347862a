/**
 * Anomaly rules: how many robust standard deviations a window's matching count lies from its
 * baseline, the same window at fixed offsets before it. Computed a chunk of window ends at a time
 * (stepChunks.ts) from the matching count of each minute the chunk's windows and baselines cover.
 */
import { effectiveSettings, type Rule } from './rule.js';
import { mergeRanges, STEP_MS, subtractRanges, type Range, type RuleMinutes } from './minutes.js';
import type { Step } from './stateMachine.js';

const HOUR_MS = 3_600_000;
/**
 * Where an anomaly rule's baseline windows lie, before the window judged: the same window 1 to 24
 * hours earlier, and at the same time of day 2 to 7 days earlier (30 windows at most).
 */
const BASELINE_OFFSETS_MS = [
  ...Array.from({ length: 24 }, (_, i) => (i + 1) * HOUR_MS),
  ...Array.from({ length: 6 }, (_, i) => (i + 2) * 24 * HOUR_MS),
];
const LONGEST_OFFSET_MS = BASELINE_OFFSETS_MS[BASELINE_OFFSETS_MS.length - 1]!;

/** The time an anomaly rule reads for windows covering [fromMs, toMs): that span and each baseline offset of it, merged. */
export function baselineRanges(fromMs: number, toMs: number): [number, number][] {
  return mergeRanges([0, ...BASELINE_OFFSETS_MS].map((o): Range => [fromMs - o, toMs - o]));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * One step per window end from `firstEndMs` to `lastEndMs`: (count − median) ÷ (1.4826 × MAD) of the
 * window's matching count against its baseline windows, the scale never below one record (a flat
 * baseline would make any change infinite). Baseline windows count only from `dataStartMs`, the first
 * minute with data in the rule's scope; with fewer than `min_history` of them the value is null and
 * the rule cannot fire: history too short to judge. `matching` holds every minute those windows cover.
 */
export function anomalySteps(rule: Rule, matching: Map<number, number>, firstEndMs: number, lastEndMs: number, dataStartMs: number): Step[] {
  const { windowMs, minHistory } = effectiveSettings(rule);
  const base = firstEndMs - windowMs - LONGEST_OFFSET_MS;
  // Prefix sums of matching records per minute from `base`: any window's count in O(1).
  const minutes = (lastEndMs - base) / STEP_MS;
  const prefix = new Float64Array(minutes + 1);
  for (let i = 0; i < minutes; i++) prefix[i + 1] = prefix[i]! + (matching.get(base + i * STEP_MS) ?? 0);
  const windowCount = (endMs: number): number => prefix[(endMs - base) / STEP_MS]! - prefix[(endMs - windowMs - base) / STEP_MS]!;
  const steps: Step[] = [];
  for (let end = firstEndMs; end <= lastEndMs; end += STEP_MS) {
    const baseline = BASELINE_OFFSETS_MS.map((o) => end - o).filter((e) => e - windowMs >= dataStartMs).map(windowCount);
    let value: number | null = null;
    if (baseline.length >= minHistory) {
      const m = median(baseline);
      const scale = Math.max(1.4826 * median(baseline.map((x) => Math.abs(x - m))), 1);
      value = Math.round(((windowCount(end) - m) / scale) * 100) / 100;
    }
    steps.push({ windowStartMs: end - windowMs, windowEndMs: end, value });
  }
  return steps;
}

/**
 * An anomaly rule's steps a chunk at a time. Each chunk reads only the minutes of its windows and
 * baselines that no earlier chunk read, and keeps those later chunks still need (at most the chunk,
 * its window and the longest offset: 8 to 15 days of one number per minute), so a long stretch reads
 * each minute once. Where the data starts is looked up once for the whole stretch, so that every
 * chunk judges with the history a single pass would have.
 */
export async function* anomalyChunks(
  minutes: RuleMinutes, rule: Rule, firstEndMs: number, lastEndMs: number, chunkSteps: number,
): AsyncGenerator<Step[]> {
  const { windowMs } = effectiveSettings(rule);
  const chunkMs = chunkSteps * STEP_MS;
  // One chunk reads every range of the stretch anyway: its own reads say where the data starts.
  let dataStartMs = lastEndMs - firstEndMs < chunkMs ? undefined : (await minutes.firstDataMinute(baselineRanges(firstEndMs - windowMs, lastEndMs))) ?? Infinity;
  const matching = new Map<number, number>();
  for (let from = firstEndMs; from <= lastEndMs; from += chunkMs) {
    const to = Math.min(from + chunkMs - STEP_MS, lastEndMs);
    const known = from === firstEndMs ? [] : baselineRanges(firstEndMs - windowMs, from - STEP_MS);
    const counts = await minutes.counts(subtractRanges(baselineRanges(from - windowMs, to), known));
    for (const [m, c] of counts) if (c.matching) matching.set(m, c.matching);
    if (dataStartMs === undefined) {
      dataStartMs = Infinity;
      for (const [m, c] of counts) if (c.total > 0 && m < dataStartMs) dataStartMs = m;
    }
    yield anomalySteps(rule, matching, from, to, dataStartMs);
    // The next chunk's earliest baseline window starts here: nothing before it is read again.
    const keepFrom = to + STEP_MS - windowMs - LONGEST_OFFSET_MS;
    for (const m of matching.keys()) if (m < keepFrom) matching.delete(m);
  }
}

import { describe, expect, it } from 'vitest';
import { boundedLatency, bucketIndex, GAMMA, quantile, type BucketCounts } from '../domain/latencyHistogram.js';
import { conditionOf } from './condition.js';
import type { MinuteCounts, MinuteLatency, Range, RuleMinutes } from './minutes.js';
import { effectiveSettings, ruleSchema, type Rule } from './rule.js';
import { episodesOf, INITIAL_STATE, settledEpisodesOf, type Episode, type Step } from './stateMachine.js';
import { stepChunks } from './stepChunks.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** A day of window ends, after eight days of data (an anomaly baseline reaches 7 days back, and a window before that). */
const T0 = Date.UTC(2026, 0, 1);
const FIRST_END = T0 + 8 * DAY;
const LAST_END = FIRST_END + DAY;

interface Minute {
  matching: number;
  total: number;
  hist: BucketCounts;
  /** The largest latency of the minute (-Infinity without any). */
  maxMs: number;
  firstSeen: number;
}

/** A deterministic pseudo-random sequence (mulberry32), so that a failure replays. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Minutes of traffic from T0 to LAST_END: a few records a minute with quick latencies, bursts of
 * errors and slow requests every few hours, silent stretches, and now and then a value seen for the first time.
 */
function generate(seed: number): Map<number, Minute> {
  const rnd = random(seed);
  const inBucket = random(seed + 1);
  const data = new Map<number, Minute>();
  let burstLeft = 0;
  let silentLeft = 0;
  for (let m = T0; m < LAST_END; m += MIN) {
    if (silentLeft > 0 || rnd() < 0.002) {
      silentLeft = silentLeft > 0 ? silentLeft - 1 : Math.floor(rnd() * 20);
      continue;
    }
    if (burstLeft === 0 && rnd() < 0.006) burstLeft = 3 + Math.floor(rnd() * 25);
    const burst = burstLeft > 0;
    if (burst) burstLeft--;
    const total = Math.floor(rnd() * (burst ? 40 : 8));
    const matching = Math.min(total, Math.floor(rnd() * (burst ? 40 : 3)));
    const hist: BucketCounts = new Map();
    let maxMs = -Infinity;
    for (let i = 0; i < total; i++) {
      const bucket = burst && rnd() < 0.7 ? 180 + Math.floor(rnd() * 20) : 60 + Math.floor(rnd() * 30);
      // A latency anywhere in its bucket: often below the bucket's value, which then bounds the quantiles.
      const ms = Math.round(GAMMA ** (bucket - 1 + inBucket()) * 1000) / 1000;
      const b = bucketIndex(ms);
      hist.set(b, (hist.get(b) ?? 0) + 1);
      maxMs = Math.max(maxMs, ms);
    }
    data.set(m, { matching, total, hist, maxMs, firstSeen: rnd() < 0.003 ? 1 + Math.floor(rnd() * 2) : 0 });
  }
  return data;
}

/** The generated minutes as stepChunks reads them, checking what it asks for and how much at once. */
function memoryMinutes(data: Map<number, Minute>): RuleMinutes & { largestReadMinutes: number } {
  const within = <T>(ranges: readonly Range[], pick: (m: Minute) => T | undefined): Map<number, T> => {
    let minutes = 0;
    let previousEnd = -Infinity;
    const out = new Map<number, T>();
    for (const [from, to] of ranges) {
      if (from % MIN !== 0 || to % MIN !== 0 || from < previousEnd || from >= to) throw new Error(`ranges not whole minutes, sorted and disjoint: ${JSON.stringify(ranges)}`);
      previousEnd = to;
      minutes += (to - from) / MIN;
      for (let m = from; m < to; m += MIN) {
        const minute = data.get(m);
        const v = minute && pick(minute);
        if (v !== undefined) out.set(m, v);
      }
    }
    reader.largestReadMinutes = Math.max(reader.largestReadMinutes, minutes);
    return out;
  };
  const reader = {
    largestReadMinutes: 0,
    counts: async (ranges: readonly Range[]) => within(ranges, (m): MinuteCounts => ({ matching: m.matching, total: m.total })),
    latency: async (ranges: readonly Range[]) => within(ranges, (m): MinuteLatency | undefined => (m.hist.size ? { hist: new Map(m.hist), maxMs: m.maxMs } : undefined)),
    firstSeen: async (ranges: readonly Range[]) => within(ranges, (m): MinuteCounts | undefined => (m.firstSeen ? { matching: m.firstSeen, total: 0 } : undefined)),
    async firstDataMinute(ranges: readonly Range[]) {
      // A minimum in the database (an index probe), not minutes brought into memory: not counted as a read.
      const largest = reader.largestReadMinutes;
      const minutes = [...within(ranges, (m) => (m.total > 0 ? m : undefined)).keys()];
      reader.largestReadMinutes = largest;
      return minutes.length ? Math.min(...minutes) : null;
    },
  };
  return reader;
}

const rule = (fields: object): Rule => ruleSchema.parse({ name: 'r', ...fields });

/** The steps by their definitions, window by window, with nothing carried from one to the next. */
function naiveSteps(r: Rule, data: Map<number, Minute>, firstEndMs: number, lastEndMs: number): Step[] {
  const { windowMs, minRequests, percentile, minHistory } = effectiveSettings(r);
  const sum = (end: number, f: (m: Minute) => number): number => {
    let s = 0;
    for (let m = end - windowMs; m < end; m += MIN) s += data.has(m) ? f(data.get(m)!) : 0;
    return s;
  };
  const offsets = [...Array.from({ length: 24 }, (_, i) => (i + 1) * HOUR), ...Array.from({ length: 6 }, (_, i) => (i + 2) * DAY)];
  // Anomaly history starts at the first minute with data in any window judged or in its baseline.
  const read = [0, ...offsets].map((o) => [firstEndMs - o - windowMs, lastEndMs - o] as const);
  const dataStart = Math.min(...[...data].filter(([m, v]) => v.total > 0 && read.some(([f, t]) => m >= f && m < t)).map(([m]) => m));
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[s.length >> 1]! : (s[(s.length >> 1) - 1]! + s[s.length >> 1]!) / 2;
  };
  const steps: Step[] = [];
  for (let end = firstEndMs; end <= lastEndMs; end += MIN) {
    let value: number | null;
    if (r.kind === 'latency') {
      const merged: BucketCounts = new Map();
      let maxMs = -Infinity;
      for (let m = end - windowMs; m < end; m += MIN) {
        for (const [b, n] of data.get(m)?.hist ?? []) merged.set(b, (merged.get(b) ?? 0) + n);
        maxMs = Math.max(maxMs, data.get(m)?.maxMs ?? -Infinity);
      }
      // The percentile as the histogram reads it, but never above the window's largest latency.
      value = boundedLatency(quantile(merged, Number(percentile.slice(1)) / 100), maxMs === -Infinity ? null : maxMs);
    } else if (r.kind === 'ratio') {
      const total = sum(end, (m) => m.total);
      value = total >= minRequests && total > 0 ? Math.round((sum(end, (m) => m.matching) / total) * 10_000) / 100 : null;
    } else if (r.kind === 'anomaly') {
      const baseline = offsets.filter((o) => end - o - windowMs >= dataStart).map((o) => sum(end - o, (m) => m.matching));
      value = null;
      if (baseline.length >= minHistory) {
        const med = median(baseline);
        const scale = Math.max(1.4826 * median(baseline.map((x) => Math.abs(x - med))), 1);
        value = Math.round(((sum(end, (m) => m.matching) - med) / scale) * 100) / 100;
      }
    } else {
      value = sum(end, (m) => (r.kind === 'new_value' ? m.firstSeen : m.matching));
    }
    steps.push({ windowStartMs: end - windowMs, windowEndMs: end, value });
  }
  return steps;
}

async function chunksOf(minutes: RuleMinutes, r: Rule, chunkSteps: number): Promise<Step[][]> {
  const chunks: Step[][] = [];
  for await (const chunk of stepChunks(minutes, r, FIRST_END, LAST_END, chunkSteps)) chunks.push(chunk);
  return chunks;
}

const RULES: Record<string, Rule> = {
  count: rule({ kind: 'count', operator: '>', threshold: 60, window: '5m', for: '3m' }),
  'count, a window longer than a chunk': rule({ kind: 'count', operator: '>', threshold: 600, window: '6h' }),
  ratio: rule({ kind: 'ratio', operator: '>', threshold: 60, window: '10m', min_requests: 10, for: '2m' }),
  absence: rule({ kind: 'absence', threshold: 3, window: '5m' }),
  latency: rule({ kind: 'latency', operator: '>', threshold: 1_000, window: '5m', for: '4m' }),
  'latency, p50 over 90 minutes': rule({ kind: 'latency', operator: '>', threshold: 500, window: '90m', percentile: 'p50' }),
  'latency, a window longer than a chunk': rule({ kind: 'latency', operator: '>', threshold: 2_750, window: '6h', percentile: 'p99' }),
  anomaly: rule({ kind: 'anomaly', window: '5m', min_history: 3, for: '1m' }),
  'anomaly, drops over an hour': rule({ kind: 'anomaly', window: '1h', operator: '<', sensitivity: 1.5, min_history: 12 }),
  new_value: rule({ kind: 'new_value', field: 'route', window: '5m', for: '3m' }),
};

describe('rule steps a chunk at a time', () => {
  const data = generate(13);
  const chunkOf = (ms: number, chunkSteps: number): number => Math.floor((ms - FIRST_END) / (chunkSteps * MIN));

  it.each(Object.entries(RULES))('%s: the steps are those of their definition, whatever the chunk size', async (_name, r) => {
    const want = naiveSteps(r, data, FIRST_END, LAST_END);
    expect(want.filter((s) => s.value !== null && s.value !== 0).length).toBeGreaterThan(20);
    for (const chunkSteps of [7, 250, Infinity]) {
      const minutes = memoryMinutes(data);
      const chunks = await chunksOf(minutes, r, chunkSteps);
      expect(chunks.flat(), `chunks of ${chunkSteps}`).toEqual(want);
      expect(chunks.every((c) => c.length <= chunkSteps)).toBe(true);
      // Reads are the size of a chunk (entering and leaving minutes), or for an anomaly rule its baselines too.
      const { windowMs } = effectiveSettings(r);
      const bound = r.kind === 'anomaly' ? (chunkSteps * MIN + windowMs + 7 * DAY) / MIN : 2 * chunkSteps;
      if (chunkSteps < Infinity) expect(minutes.largestReadMinutes, `chunks of ${chunkSteps}`).toBeLessThanOrEqual(bound);
    }
  });

  it.each(Object.entries(RULES))('%s: episodes and final state chunk by chunk equal one pass, across chunk ends', async (_name, r) => {
    const condition = conditionOf(r);
    const oneShot = episodesOf((await chunksOf(memoryMinutes(data), r, Infinity)).flat(), condition);
    expect(oneShot.episodes.length).toBeGreaterThan(0);
    const chunkSteps = 7;
    let state = INITIAL_STATE;
    const episodes: Episode[] = [];
    for (const chunk of await chunksOf(memoryMinutes(data), r, chunkSteps)) {
      const settled = settledEpisodesOf(chunk, condition, state);
      // Each episode comes out once, complete: never one that later chunks would still change.
      expect(settled.episodes.every((e) => e.resolvedAtMs !== null)).toBe(true);
      episodes.push(...settled.episodes);
      state = settled.state;
    }
    if (state.episode) episodes.push(state.episode);
    expect(episodes).toEqual(oneShot.episodes);
    expect(state).toEqual(oneShot.state);
    // The data makes episodes that go on over a chunk's end, and `for` waits that do.
    const crossing = episodes.filter((e) => e.resolvedAtMs !== null && chunkOf(e.windowEndMs, chunkSteps) !== chunkOf(e.resolvedAtMs - MIN, chunkSteps));
    expect(crossing.length).toBeGreaterThan(0);
    const { forMs } = effectiveSettings(r);
    if (forMs > 0) expect(episodes.some((e) => chunkOf(e.windowEndMs - forMs, chunkSteps) !== chunkOf(e.windowEndMs, chunkSteps))).toBe(true);
  });

  it('a 7-day latency window reads its week a day at a time before its first step', async () => {
    const r = rule({ kind: 'latency', operator: '>', threshold: 200, window: '7d' });
    const minutes = memoryMinutes(data);
    const chunks = await chunksOf(minutes, r, 1_440);
    // Seven days of lead-in enter the window first (chunks with no step), then the two days of ends.
    expect(chunks.flat()).toHaveLength((LAST_END - FIRST_END) / MIN + 1);
    expect(minutes.largestReadMinutes).toBeLessThanOrEqual(2 * 1_440);
    expect(chunks.flat()).toEqual((await chunksOf(memoryMinutes(data), r, Infinity)).flat());
  });
});

describe('count, ratio and absence steps, by hand', () => {
  const END = T0 + DAY;
  /** Minutes holding only counts (keyed by the minute's start); any other read is a mistake here. */
  const countsOnly = (counts: [number, MinuteCounts][]): RuleMinutes => {
    const data = new Map(counts);
    return {
      counts: async (ranges) => new Map([...data].filter(([m]) => ranges.some(([f, t]) => m >= f && m < t))),
      latency: () => Promise.reject(new Error('not a latency rule')),
      firstSeen: () => Promise.reject(new Error('not a new_value rule')),
      firstDataMinute: () => Promise.reject(new Error('not an anomaly rule')),
    };
  };
  const stepsOf = async (r: Rule, minutes: RuleMinutes, lastEndMs: number): Promise<Step[]> => {
    const steps: Step[] = [];
    for await (const chunk of stepChunks(minutes, r, END, lastEndMs)) steps.push(...chunk);
    return steps;
  };
  const matching = (n: number): MinuteCounts => ({ matching: n, total: n });

  it('count: one step per minute, each the matching records of the minutes [end − window, end); a minute without records counts none', async () => {
    const minutes = countsOnly([[END - 3 * MIN, matching(1)], [END - MIN, matching(2)], [END, matching(5)], [END + 2 * MIN, matching(1)]]);
    const steps = await stepsOf(rule({ kind: 'count', operator: '>', threshold: 5, window: '3m' }), minutes, END + 3 * MIN);
    expect(steps).toEqual([
      { windowStartMs: END - 3 * MIN, windowEndMs: END, value: 3 },
      { windowStartMs: END - 2 * MIN, windowEndMs: END + MIN, value: 7 },
      { windowStartMs: END - MIN, windowEndMs: END + 2 * MIN, value: 7 },
      { windowStartMs: END, windowEndMs: END + 3 * MIN, value: 6 },
    ]);
  });

  it('ratio: the matching share of all records in percent, to two decimals; null while the window has fewer than min_requests', async () => {
    const minutes = countsOnly([
      [END - 2 * MIN, { matching: 1, total: 4 }], [END - MIN, { matching: 2, total: 8 }],
      [END, { matching: 0, total: 1 }], [END + MIN, { matching: 3, total: 9 }], [END + 2 * MIN, { matching: 1, total: 2 }],
    ]);
    const r = rule({ kind: 'ratio', operator: '>', threshold: 20, window: '2m', min_requests: 10 });
    // 3 of 12; then 9 records, under 10; then 3 of exactly 10; then 4 of 11 = 36.3636…
    expect((await stepsOf(r, minutes, END + 3 * MIN)).map((s) => s.value)).toEqual([25, null, 30, 36.36]);
  });

  it('absence: counts like count, and a window without any record is 0, not null', async () => {
    // Records in the minute before END only: the windows [END − 2m, END) and [END − 1m, END + 1m) hold them, [END, END + 2m) nothing.
    const minutes = countsOnly([[END - MIN, matching(2)]]);
    const r = rule({ kind: 'absence', threshold: 1, window: '2m' });
    expect((await stepsOf(r, minutes, END + 2 * MIN)).map((s) => s.value)).toEqual([2, 2, 0]);
  });
});

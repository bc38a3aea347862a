import { describe, expect, it } from 'vitest';
import { arrive, DEFAULT_SILENCE_RULE, liveStatus, silenceAfterMs, type Arrivals } from './silenceRule.js';

const S = 1_000;
const MIN = 60 * S;
const rule = DEFAULT_SILENCE_RULE;
/** Arrivals at these times (ms), in order. */
const arrivals = (times: number[]): Arrivals => {
  let a: Arrivals | null = null;
  for (const t of times) a = arrive(rule, a, t);
  return a!;
};
/** `n` arrivals, `gapMs` apart, from 0. */
const every = (gapMs: number, n: number): Arrivals => arrivals(Array.from({ length: n }, (_, i) => i * gapMs));

describe('live source silence rule', () => {
  it('a steady sender is receiving until 5 minutes pass without an arrival, then silent', () => {
    const a = every(10 * S, 30);
    expect(a.usualGapMs).toBe(10 * S);
    expect(liveStatus(rule, a, a.lastAt + 5 * MIN)).toBe('receiving');
    expect(liveStatus(rule, a, a.lastAt + 5 * MIN + 1)).toBe('silent');
  });

  it('a slow steady sender gets ten of its usual gaps before it counts as silent', () => {
    const a = every(2 * MIN, 12);
    expect(silenceAfterMs(rule, a.usualGapMs)).toBe(20 * MIN);
    expect(liveStatus(rule, a, a.lastAt + 19 * MIN)).toBe('receiving');
    expect(liveStatus(rule, a, a.lastAt + 21 * MIN)).toBe('silent');
  });

  it('a burst, or a few sends, is never silent: it goes idle', () => {
    const burst = every(10, 100);
    expect(liveStatus(rule, burst, burst.lastAt + 1 * MIN)).toBe('receiving');
    expect(liveStatus(rule, burst, burst.lastAt + 6 * MIN)).toBe('idle');
    const few = every(1 * MIN, 5);
    expect(liveStatus(rule, few, few.lastAt + 11 * MIN)).toBe('idle');
  });

  it('an outage does not become part of the usual gap: the next one is noticed as soon', () => {
    const before = every(10 * S, 30);
    const back = arrive(rule, before, before.lastAt + 2 * 60 * MIN);
    expect(back.usualGapMs).toBe(10 * S);
    expect(liveStatus(rule, back, back.lastAt)).toBe('receiving');
    expect(liveStatus(rule, back, back.lastAt + 5 * MIN + 1)).toBe('silent');
  });

  it('a sender that slows down moves its usual gap by an eighth of each new gap', () => {
    const a = arrive(rule, every(10 * S, 30), 29 * 10 * S + 90 * S);
    expect(a.usualGapMs).toBe(10 * S + (90 * S - 10 * S) / 8);
  });

  it('takes its rule from the caller: short thresholds for a test', () => {
    const quick = { minSilenceMs: 100, gapFactor: 10, steadyArrivals: 3, steadySpanMs: 20 };
    let a: Arrivals | null = null;
    for (const t of [0, 10, 20]) a = arrive(quick, a, t);
    expect(liveStatus(quick, a!, 120)).toBe('receiving');
    expect(liveStatus(quick, a!, 121)).toBe('silent');
  });
});

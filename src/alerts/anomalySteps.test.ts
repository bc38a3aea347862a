import { describe, expect, it } from 'vitest';
import { anomalySteps } from './anomalySteps.js';
import { ruleSchema, type Rule } from './rule.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** The window judged ends here; eight days of history before it. */
const END = Date.UTC(2026, 0, 10);
const LONG_AGO = END - 8 * DAY;
/** The baseline, as the rule's contract gives it: the same window 1–24 hours earlier, then 2–7 days earlier. */
const OFFSETS = [...Array.from({ length: 24 }, (_, i) => (i + 1) * HOUR), ...Array.from({ length: 6 }, (_, i) => (i + 2) * DAY)];

const anomaly = (fields: object = {}): Rule => ruleSchema.parse({ name: 'r', kind: 'anomaly', window: '1m', ...fields });

/** Matching records per minute: `now` in the minute judged (a 1-minute window ending at END), `baseline[i]` in the window OFFSETS[i] earlier. */
function minutes(now: number, baseline: number[]): Map<number, number> {
  const m = new Map<number, number>([[END - MIN, now]]);
  baseline.forEach((n, i) => m.set(END - OFFSETS[i]! - MIN, n));
  return m;
}

const valueAt = (r: Rule, matching: Map<number, number>, dataStartMs = LONG_AGO): number | null =>
  anomalySteps(r, matching, END, END, dataStartMs)[0]!.value;

describe('anomaly steps', () => {
  it('scores the window by (count − median) ÷ (1.4826 × MAD) of its thirty baseline windows, to two decimals', () => {
    // Fifteen baseline windows of 8 and fifteen of 12: median 10, every deviation 2, so MAD 2 and scale 2.9652.
    const baseline = [...Array<number>(15).fill(8), ...Array<number>(15).fill(12)];
    // (25 − 10) ÷ 2.9652 = 5.0587…
    expect(valueAt(anomaly(), minutes(25, baseline))).toBe(5.06);
  });

  it('a drop scores below zero', () => {
    const baseline = [...Array<number>(15).fill(8), ...Array<number>(15).fill(12)];
    // (4 − 10) ÷ 2.9652 = −2.0234…
    expect(valueAt(anomaly({ operator: '<' }), minutes(4, baseline))).toBe(-2.02);
  });

  it('a flat baseline scales by one record, not by zero: a change is finite', () => {
    // MAD 0, so the scale is its floor of 1: the value is the difference from the median.
    expect(valueAt(anomaly(), minutes(17, Array<number>(30).fill(10)))).toBe(7);
  });

  it('a past incident in the baseline does not mask a new spike (median and MAD, not mean and deviation)', () => {
    // 29 windows of 10 and one of 1,000: median 10, MAD 0 (scale 1). A mean would be 43 and call 13 a drop.
    const baseline = [1_000, ...Array<number>(29).fill(10)];
    expect(valueAt(anomaly(), minutes(13, baseline))).toBe(3);
  });

  it('baseline windows before the first minute with data do not count; under min_history (default 12) there is no value', () => {
    // Only the windows 1–12 hours back hold data; the older ones, read as zeros, would make the median 0.
    const baseline = [...Array<number>(12).fill(10), ...Array<number>(18).fill(0)];
    const twelveHoursBackStarts = END - 12 * HOUR - MIN;
    // The window 12 hours back starts exactly where the data starts: twelve windows, median 10.
    expect(valueAt(anomaly(), minutes(14, baseline), twelveHoursBackStarts)).toBe(4);
    // A minute later it no longer counts: eleven windows, too short a history to judge.
    expect(valueAt(anomaly(), minutes(14, baseline), twelveHoursBackStarts + MIN)).toBeNull();
    expect(valueAt(anomaly({ min_history: 11 }), minutes(14, baseline), twelveHoursBackStarts + MIN)).toBe(4);
  });

  it('one step per minute, each counting the minutes [end − window, end); a minute with no entry counts as none', () => {
    // An all-zero baseline (median 0, scale 1): each value is the window's own count.
    const r = anomaly({ window: '5m', min_history: 3 });
    const matching = new Map([[END - 5 * MIN, 1], [END - MIN, 2], [END, 4]]);
    expect(anomalySteps(r, matching, END, END + 2 * MIN, LONG_AGO)).toEqual([
      { windowStartMs: END - 5 * MIN, windowEndMs: END, value: 3 },
      // The minute at END − 5m has left the window, the minute starting at END has entered it.
      { windowStartMs: END - 4 * MIN, windowEndMs: END + MIN, value: 6 },
      { windowStartMs: END - 3 * MIN, windowEndMs: END + 2 * MIN, value: 6 },
    ]);
  });
});

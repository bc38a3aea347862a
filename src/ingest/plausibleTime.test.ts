import { describe, expect, it } from 'vitest';
import { anchorOf, earliestForAnchor, implausibleTime, implausibleTimeDetail } from './plausibleTime.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 6, 12, 0);
const ANCHOR = Date.UTC(2000, 3, 10, 8, 30);

describe('plausible timestamps', () => {
  it('rejects a line more than a day after the wall clock, and keeps one up to a day after it', () => {
    const bounds = { anchorMs: null, nowMs: NOW };
    expect(implausibleTime(NOW + DAY, bounds)).toBeNull();
    expect(implausibleTime(NOW + DAY + 1, bounds)).toBe('time_in_future');
    expect(implausibleTime(Date.UTC(2099, 0, 1), bounds)).toBe('time_in_future');
  });

  it('rejects a line more than ten years before the anchor, to the millisecond of the same calendar date', () => {
    const bounds = { anchorMs: ANCHOR, nowMs: NOW };
    const earliest = Date.UTC(1990, 3, 10, 8, 30);
    expect(earliestForAnchor(ANCHOR)).toBe(earliest);
    expect(implausibleTime(earliest, bounds)).toBeNull();
    expect(implausibleTime(earliest - 1, bounds)).toBe('time_decades_early');
    expect(implausibleTime(Date.UTC(1970, 0, 1), bounds)).toBe('time_decades_early');
    // After the anchor, only the future bound applies: a file may run from 2000 to today.
    expect(implausibleTime(NOW, bounds)).toBeNull();
  });

  it('without an anchor, only the absolute and future bounds apply', () => {
    const bounds = { anchorMs: null, nowMs: NOW };
    expect(implausibleTime(Date.UTC(1970, 0, 1), bounds)).toBeNull();
    expect(implausibleTime(Date.UTC(1970, 0, 1) - 1, bounds)).toBe('time_out_of_range');
    expect(implausibleTime(Date.UTC(2100, 0, 1), { anchorMs: null, nowMs: Date.UTC(2100, 5, 1) })).toBe('time_out_of_range');
    expect(implausibleTime(Number.NaN, bounds)).toBe('time_out_of_range');
  });

  it("the detail gives the line's time, and for a line decades early the file's", () => {
    const bounds = { anchorMs: ANCHOR, nowMs: NOW };
    expect(implausibleTimeDetail('time_decades_early', Date.UTC(1970, 0, 1), bounds))
      .toBe("1970-01-01T00:00:00.000Z; the file's lines are near 2000-04-10T08:30:00.000Z");
    expect(implausibleTimeDetail('time_in_future', Date.UTC(2099, 0, 1), bounds)).toBe('2099-01-01T00:00:00.000Z');
    expect(implausibleTimeDetail('time_out_of_range', Number.NaN, bounds)).toBe('NaN');
    expect(implausibleTimeDetail('time_out_of_range', 1e300, bounds)).toBe('1e+300');
  });

  it('the anchor is the median of the sample times within 1970–2099, the lower middle of an even count', () => {
    expect(anchorOf([])).toBeNull();
    expect(anchorOf([Date.UTC(1960, 0, 1), Date.UTC(2200, 0, 1)])).toBeNull();
    expect(anchorOf([3, 1, 2].map((d) => ANCHOR + d * DAY))).toBe(ANCHOR + 2 * DAY);
    expect(anchorOf([4, 1, 3, 2].map((d) => ANCHOR + d * DAY))).toBe(ANCHOR + 2 * DAY);
    // A few lines from an unset clock among the sample do not move it far.
    expect(anchorOf([0, 0, ANCHOR, ANCHOR + DAY, ANCHOR + 2 * DAY])).toBe(ANCHOR);
  });
});

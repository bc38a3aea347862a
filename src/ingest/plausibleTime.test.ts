import { describe, expect, it } from 'vitest';
import {
  anchorOf, earliestForAnchor, implausibleTimeReason, REASON_DECADES_BEFORE, REASON_FUTURE, REASON_OUTSIDE,
} from './plausibleTime.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 6, 12, 0);
const ANCHOR = Date.UTC(2000, 3, 10, 8, 30);

describe('plausible timestamps', () => {
  it('rejects a line more than a day after the wall clock, and keeps one up to a day after it', () => {
    const bounds = { anchorMs: null, nowMs: NOW };
    expect(implausibleTimeReason(NOW + DAY, bounds)).toBeNull();
    expect(implausibleTimeReason(NOW + DAY + 1, bounds)).toBe(REASON_FUTURE);
    expect(implausibleTimeReason(Date.UTC(2099, 0, 1), bounds)).toBe(REASON_FUTURE);
    expect(REASON_FUTURE).toBe("timestamp in the future (more than a day after the upload): the host's clock or the log's time zone is wrong");
  });

  it('rejects a line more than ten years before the anchor, to the millisecond of the same calendar date', () => {
    const bounds = { anchorMs: ANCHOR, nowMs: NOW };
    const earliest = Date.UTC(1990, 3, 10, 8, 30);
    expect(earliestForAnchor(ANCHOR)).toBe(earliest);
    expect(implausibleTimeReason(earliest, bounds)).toBeNull();
    expect(implausibleTimeReason(earliest - 1, bounds)).toBe(REASON_DECADES_BEFORE);
    expect(implausibleTimeReason(Date.UTC(1970, 0, 1), bounds)).toBe(REASON_DECADES_BEFORE);
    // After the anchor, only the future bound applies: a file may run from 2000 to today.
    expect(implausibleTimeReason(NOW, bounds)).toBeNull();
    expect(REASON_DECADES_BEFORE).toBe("timestamp decades before the rest of the file (the host's clock was not set?)");
  });

  it('without an anchor, only the absolute and future bounds apply', () => {
    const bounds = { anchorMs: null, nowMs: NOW };
    expect(implausibleTimeReason(Date.UTC(1970, 0, 1), bounds)).toBeNull();
    expect(implausibleTimeReason(Date.UTC(1970, 0, 1) - 1, bounds)).toBe(REASON_OUTSIDE);
    expect(implausibleTimeReason(Date.UTC(2100, 0, 1), { anchorMs: null, nowMs: Date.UTC(2100, 5, 1) })).toBe(REASON_OUTSIDE);
    expect(implausibleTimeReason(Number.NaN, bounds)).toBe(REASON_OUTSIDE);
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

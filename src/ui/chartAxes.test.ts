import { describe, expect, it } from 'vitest';
import { legendTime, stackedYRange, timeTickLabels, yTickLabel } from './chartAxes.js';

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string): number => Date.parse(iso);

describe('timeTickLabels', () => {
  it('hours read in 24-hour UTC, never am/pm, with the date under the first tick', () => {
    const ticks = [0, 1, 12, 13, 23].map((h) => at('2026-10-02T00:00:00Z') + h * H);
    expect(timeTickLabels(ticks, H)).toEqual(['00:00\n2026-10-02', '01:00', '12:00', '13:00', '23:00']);
  });

  it('puts the date under the tick where the day changes', () => {
    const ticks = [18, 24, 30].map((h) => at('2026-10-01T00:00:00Z') + h * H);
    expect(timeTickLabels(ticks, 6 * H)).toEqual(['18:00\n2026-10-01', '00:00\n2026-10-02', '06:00']);
  });

  it('shows seconds only when ticks are less than a minute apart', () => {
    const t = at('2026-10-02T13:00:00Z');
    expect(timeTickLabels([t, t + 30_000], 30_000)).toEqual(['13:00:00\n2026-10-02', '13:00:30']);
  });

  it('days read as month-day, with the year under the first tick and at a new year', () => {
    const ticks = [at('2026-12-30T00:00:00Z'), at('2026-12-31T00:00:00Z'), at('2027-01-01T00:00:00Z'), at('2027-01-02T00:00:00Z')];
    expect(timeTickLabels(ticks, D)).toEqual(['12-30\n2026', '12-31', '01-01\n2027', '01-02']);
  });

  it('months read as year-month', () => {
    expect(timeTickLabels([at('2026-10-01T00:00:00Z'), at('2026-11-01T00:00:00Z')], 31 * D)).toEqual(['2026-10', '2026-11']);
  });

  it('is UTC whatever the process time zone (the label of a time is its ISO time)', () => {
    expect(timeTickLabels([at('2026-10-02T23:30:00+02:00')], H)).toEqual(['21:30\n2026-10-02']);
  });
});

describe('stackedYRange', () => {
  it('starts at zero and ends on a round number at or above the top of the stack', () => {
    expect(stackedYRange(700)).toEqual([0, 800]);
    expect(stackedYRange(48)).toEqual([0, 50]);
    expect(stackedYRange(1000)).toEqual([0, 1000]);
    expect(stackedYRange(1001)).toEqual([0, 1200]);
    expect(stackedYRange(0.3)).toEqual([0, 0.3]);
  });

  it('an empty or all-zero chart still has a scale', () => {
    expect(stackedYRange(null)).toEqual([0, 1]);
    expect(stackedYRange(0)).toEqual([0, 1]);
  });
});

describe('yTickLabel', () => {
  it('keeps small numbers whole and shortens large ones', () => {
    expect(yTickLabel(0)).toBe('0');
    expect(yTickLabel(750)).toBe('750');
    expect(yTickLabel(2.5)).toBe('2.5');
    expect(yTickLabel(0.1 + 0.2)).toBe('0.3');
    expect(yTickLabel(12_000)).toBe('12k');
    expect(yTickLabel(1_500_000)).toBe('1.5M');
  });
});

describe('legendTime', () => {
  it('is a 24-hour UTC date and time', () => {
    expect(legendTime(at('2026-10-02T13:05:00Z'))).toBe('2026-10-02 13:05');
    expect(legendTime(at('2026-10-02T00:05:07Z'))).toBe('2026-10-02 00:05:07');
  });
});

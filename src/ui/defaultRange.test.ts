import { describe, expect, it } from 'vitest';
import { chooseDefaultSource, describeDefaultRange, latestDayWindow, type SourceCount } from './defaultRange.js';

const src = (source: string, records: number, day: string): SourceCount => ({ source, records, last_bucket: `${day}T00:00:00.000Z` });

describe('chooseDefaultSource', () => {
  it('passes over a tiny log that is newer than the big one', () => {
    const web = src('web-1', 50_000, '2026-10-02');
    const errors = src('errors', 10, '2026-10-04');
    expect(chooseDefaultSource([web, errors])).toEqual({ chosen: web, passedOver: [errors] });
  });

  it('takes the newest of the sources that hold the bulk, not only the busiest', () => {
    const old = src('old', 100_000, '2015-05-20');
    const recent = src('recent', 20_000, '2026-10-02');
    expect(chooseDefaultSource([old, recent])).toEqual({ chosen: recent, passedOver: [] });
  });

  it('a source with less than a tenth of the busiest one is not the bulk', () => {
    const big = src('big', 10_000, '2026-10-01');
    const small = src('small', 999, '2026-10-03');
    expect(chooseDefaultSource([big, small])?.chosen).toBe(big);
    expect(chooseDefaultSource([big, { ...small, records: 1000 }])?.chosen.source).toBe('small');
  });

  it('on the same day, the bigger source', () => {
    const a = src('a', 5_000, '2026-10-02');
    const b = src('b', 8_000, '2026-10-02');
    expect(chooseDefaultSource([a, b])).toEqual({ chosen: b, passedOver: [] });
  });

  it('no sources, or none with records: no choice', () => {
    expect(chooseDefaultSource([])).toBeNull();
    expect(chooseDefaultSource([src('empty', 0, '2026-10-02')])).toBeNull();
  });
});

describe('latestDayWindow', () => {
  it('is the day up to the minute after the last record', () => {
    expect(latestDayWindow('2026-09-01T00:00:00Z', '2026-10-02T13:45:20Z'))
      .toEqual({ from: '2026-10-01T13:46:00.000Z', to: '2026-10-02T13:46:00.000Z' });
  });

  it('starts at the first record when there is less than a day', () => {
    expect(latestDayWindow('2026-10-02T10:00:30Z', '2026-10-02T13:45:20Z'))
      .toEqual({ from: '2026-10-02T10:00:00.000Z', to: '2026-10-02T13:46:00.000Z' });
  });
});

describe('describeDefaultRange', () => {
  it('names the source and the ones passed over', () => {
    expect(describeDefaultRange('web-1', '2026-10-02T13:45:20Z', [src('errors', 10, '2026-10-04')]))
      .toBe("Showing web-1's latest day of data, 2026-10-02: errors (10 records) has newer records, too few to open on.");
    expect(describeDefaultRange('web-1', '2026-10-02T13:45:20Z', [src('a', 1, '2026-10-04'), src('b', 1200, '2026-10-03')]))
      .toBe("Showing web-1's latest day of data, 2026-10-02: a (1 record), b (1,200 records) have newer records, too few to open on.");
  });

  it('with one source in all, says only which day', () => {
    expect(describeDefaultRange(null, '2026-10-02T13:45:20Z')).toBe('Showing the latest day of data, 2026-10-02.');
  });
});

import { describe, expect, it } from 'vitest';
import {
  daysFromCivil,
  parseAnyTimestamp,
  parseCtime,
  parseEpochSeconds,
  parseIso8601,
  parseSlashDateTime,
  parseTimeLocal,
} from './timestamps.js';

const whole = (fn: (s: string, a: number, b: number) => number) => (s: string) => fn(s, 0, s.length);
const timeLocal = whole(parseTimeLocal);
const isoTime = whole(parseIso8601);
const ctime = whole(parseCtime);

describe('timestamps', () => {
  it('computes days like Date.UTC across eras, leap years and month ends', () => {
    for (const [y, m, d] of [[1970, 1, 1], [2000, 2, 29], [1900, 3, 1], [2024, 12, 31], [1600, 2, 29], [2100, 3, 1]] as const) {
      expect(daysFromCivil(y, m, d) * 86_400_000).toBe(Date.UTC(y, m - 1, d));
    }
  });

  it('reads $time_local / %t with its offset', () => {
    expect(timeLocal('10/Oct/2000:13:55:36 -0700')).toBe(Date.parse('2000-10-10T20:55:36Z'));
    expect(timeLocal('17/Oct/2023:05:57:49 +1100')).toBe(Date.parse('2023-10-16T18:57:49Z'));
    expect(timeLocal('25/Jul/2025:10:25:21 -0400')).toBe(Date.parse('2025-07-25T14:25:21Z'));
  });

  it('takes a time without zone as UTC (Python http.server writes `29/Aug/2023 22:02:58`)', () => {
    expect(timeLocal('29/Aug/2023 22:02:58')).toBe(Date.parse('2023-08-29T22:02:58Z'));
    expect(timeLocal('27/Jun/2013:11:55:44')).toBe(Date.parse('2013-06-27T11:55:44Z'));
  });

  it('rejects impossible dates and junk', () => {
    for (const bad of ['31/Feb/2021:00:00:00 +0000', '10/Foo/2000:13:55:36 -0700', '10/Oct/2000:24:00:00 +0000', '10/Oct/2000:13:55:36 +9900', '-', '1234', '10/Oct/2000:13:55:36 -0700x']) {
      expect(timeLocal(bad), bad).toBeNaN();
    }
  });

  it('reads ISO 8601 as $time_iso8601 writes it, with fractions and zones', () => {
    expect(isoTime('2000-10-10T13:55:36-07:00')).toBe(Date.parse('2000-10-10T20:55:36Z'));
    expect(isoTime('2021-06-04 15:40:27.138633')).toBeCloseTo(Date.parse('2021-06-04T15:40:27.138Z') + 0.633, 6);
    expect(isoTime('2013-02-11T06:43:36Z')).toBe(Date.parse('2013-02-11T06:43:36Z'));
    expect(isoTime('2013-02-11T06:43:36+0100')).toBe(Date.parse('2013-02-11T05:43:36Z'));
  });

  it('reads $msec and the nginx error log time', () => {
    expect(parseEpochSeconds('1286536308.123', 0, 14)).toBe(1286536308123);
    expect(parseSlashDateTime('2016/10/25 14:49:34', 0)).toBe(Date.parse('2016-10-25T14:49:34Z'));
  });

  it('reads the Apache error log time with microseconds kept as a fraction of a millisecond', () => {
    expect(ctime('Wed Oct 11 14:32:52 2000')).toBe(Date.parse('2000-10-11T14:32:52Z'));
    const ms = ctime('Tue Apr 04 06:18:29.712806 2017');
    expect(Math.floor(ms)).toBe(Date.parse('2017-04-04T06:18:29.712Z'));
    expect(ms - Math.floor(ms)).toBeCloseTo(0.806, 3);
    expect(ctime('Thu Jan  2 22:23:07 2020')).toBe(Date.parse('2020-01-02T22:23:07Z'));
  });

  it('recognises any of these shapes for configurable layouts', () => {
    const any = whole(parseAnyTimestamp);
    expect(any('01/Mar/2021:12:00:19 +0000')).toBe(Date.parse('2021-03-01T12:00:19Z'));
    expect(any('2021-06-04 15:40:27')).toBe(Date.parse('2021-06-04T15:40:27Z'));
    expect(any('Mon Dec 26 16:22:08 2016')).toBe(Date.parse('2016-12-26T16:22:08Z'));
    expect(any('2021/06/03 09:30:50')).toBe(Date.parse('2021-06-03T09:30:50Z'));
    expect(any('1286536308')).toBe(1286536308000);
    expect(any('authz_core:error')).toBeNaN();
  });
});

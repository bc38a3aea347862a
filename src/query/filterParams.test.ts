import { describe, expect, it } from 'vitest';
import { escapeLike, FilterError, namesLatest, parseDateParam, parseEndpointFilter, parseLevelFilter, parseStatusFilter } from './filterParams.js';

describe('parseStatusFilter', () => {
  it('reads codes, classes, ranges and lists', () => {
    expect(parseStatusFilter('500')).toEqual([{ from: 500, to: 500 }]);
    expect(parseStatusFilter('5xx')).toEqual([{ from: 500, to: 599 }]);
    expect(parseStatusFilter('4XX')).toEqual([{ from: 400, to: 499 }]);
    expect(parseStatusFilter('400-499')).toEqual([{ from: 400, to: 499 }]);
    expect(parseStatusFilter('404, 5xx')).toEqual([{ from: 404, to: 404 }, { from: 500, to: 599 }]);
  });

  it.each(['abc', '5x', '6xx', '1000', '499-400', '', "500' OR 1=1 --", '%'])('rejects %j naming status_code', (v) => {
    expect(() => parseStatusFilter(v)).toThrow(FilterError);
    try {
      parseStatusFilter(v);
    } catch (err) {
      expect((err as FilterError).param).toBe('status_code');
    }
  });
});

describe('parseLevelFilter', () => {
  it('accepts any case and lists, without duplicates', () => {
    expect(parseLevelFilter('error')).toEqual(['ERROR']);
    expect(parseLevelFilter('WARN,error,warn')).toEqual(['WARN', 'ERROR']);
  });
  it('rejects unknown levels', () => {
    expect(() => parseLevelFilter('FATAL')).toThrow(/FATAL/);
  });
});

describe('parseDateParam', () => {
  it('normalises ISO 8601 forms to UTC', () => {
    expect(parseDateParam('start_date', '2026-10-01T00:00:00Z')).toBe('2026-10-01T00:00:00.000Z');
    expect(parseDateParam('start_date', '2026-10-01')).toBe('2026-10-01T00:00:00.000Z');
    expect(parseDateParam('start_date', '2026-10-01T02:00:00+02:00')).toBe('2026-10-01T00:00:00.000Z');
    expect(parseDateParam('start_date', '2026-10-01T00:00:00')).toBe('2026-10-01T00:00:00.000Z');
    expect(parseDateParam('start_date', '2026-10-01T00:00:00.123456Z')).toBe('2026-10-01T00:00:00.123Z');
  });
  it.each(['yesterday', '2026-13-01', '1/10/2026', '2026-10-01T25:00:00Z'])('rejects %j', (v) => {
    expect(() => parseDateParam('end_date', v)).toThrow(FilterError);
  });
  it('reads a space before the offset as the + a query string decoded to it, as many APIs do', () => {
    expect(parseDateParam('start_date', '2026-10-01T02:00:00 02:00')).toBe('2026-10-01T00:00:00.000Z');
    expect(parseDateParam('start_date', '2026-10-01 02:30 0230')).toBe('2026-10-01T00:00:00.000Z');
    expect(parseDateParam('start_date', '2026-10-01T02:00:00.5 02')).toBe('2026-10-01T00:00:00.500Z');
    // Only after a time: a date and a time stay a date and a time.
    expect(parseDateParam('start_date', '2026-10-01 02:00')).toBe('2026-10-01T02:00:00.000Z');
  });
  it('says in a bad date\'s message that a + in a URL is written %2B', () => {
    expect(() => parseDateParam('start_date', '2026-10-01T02:00:00 2:00')).toThrow(/write \+ as %2B/);
  });
});

describe('relative dates', () => {
  const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
  const LATEST = Date.UTC(2024, 2, 10, 8, 30, 0, 250);
  const at = (v: string, latestMs?: number | null): string => parseDateParam('start_date', v, { nowMs: NOW, latestMs });
  const iso = (ms: number): string => new Date(ms).toISOString();

  it('counts now, now-1h and a bare -24h from the clock', () => {
    expect(at('now')).toBe(iso(NOW));
    expect(at('now-1h')).toBe(iso(NOW - 3_600_000));
    expect(at('-24h')).toBe(iso(NOW - 86_400_000));
    expect(at('NOW-7d')).toBe(iso(NOW - 7 * 86_400_000));
    expect(at('now-30s')).toBe(iso(NOW - 30_000));
    expect(at('now-15m')).toBe(iso(NOW - 900_000));
    expect(at('now-2w')).toBe(iso(NOW - 14 * 86_400_000));
    expect(at('now+1d')).toBe(iso(NOW + 86_400_000));
  });
  it('reads a space as the + a query string decoded to it', () => {
    expect(at('now 1h')).toBe(iso(NOW + 3_600_000));
  });
  it('counts latest from just after the newest record, so that an exclusive end_date=latest holds it', () => {
    expect(at('latest', LATEST)).toBe(iso(LATEST + 1));
    expect(at('latest-24h', LATEST)).toBe(iso(LATEST + 1 - 86_400_000));
  });
  it('counts latest from now when there is no record, so an empty store answers empty (with its hint)', () => {
    expect(at('latest-1h', null)).toBe(iso(NOW - 3_600_000));
  });
  it('refuses latest when the caller did not look the newest record up (a programming error, not a 400)', () => {
    expect(() => at('latest')).toThrow(/not looked up/);
    expect(() => at('latest')).not.toThrow(FilterError);
  });
  it('says which values need the newest record', () => {
    expect(namesLatest('latest-24h')).toBe(true);
    expect(namesLatest('Latest')).toBe(true);
    expect(namesLatest('now-1h')).toBe(false);
    expect(namesLatest(undefined)).toBe(false);
  });
  it.each(['now-1', 'now-1y', '-h', 'now--1h', 'later', '24h', 'latest-', ' 5h', 'now-1h-2m'])('refuses %j naming the parameter and the accepted forms', (v) => {
    let err: unknown;
    try {
      at(v, LATEST);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterError);
    expect((err as FilterError).param).toBe('start_date');
    expect((err as FilterError).message).toMatch(/now-1h, -24h \(= now-24h\), latest, latest-24h/);
  });
  it('keeps relative times inside the years records can have', () => {
    expect(() => at('now-9999w')).toThrow(/between 1970-01-01 and 2100-01-01/);
  });
});

describe('parseEndpointFilter and escapeLike', () => {
  it('treats a trailing * as a prefix', () => {
    expect(parseEndpointFilter('/api/*')).toEqual({ value: '/api/', prefix: true });
    expect(parseEndpointFilter('/api/x')).toEqual({ value: '/api/x', prefix: false });
  });
  it('escapes LIKE wildcards so they match literally', () => {
    expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\');
  });
});

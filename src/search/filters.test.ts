import { describe, expect, it } from 'vitest';
import { escapeLike, FilterError, parseDateParam, parseEndpointFilter, parseLevelFilter, parseStatusFilter } from './filters.js';

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

describe('parseEndpointFilter and escapeLike', () => {
  it('treats a trailing * as a prefix', () => {
    expect(parseEndpointFilter('/api/*')).toEqual({ value: '/api/', prefix: true });
    expect(parseEndpointFilter('/api/x')).toEqual({ value: '/api/x', prefix: false });
  });
  it('escapes LIKE wildcards so they match literally', () => {
    expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\');
  });
});

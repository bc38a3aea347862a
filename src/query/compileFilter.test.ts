import { describe, expect, it } from 'vitest';
import { FULL_ROLLUPS, RECORDS, ROUTE_ROLLUPS, SOURCE_ROLLUPS, answers, filterConditions, UnsupportedFilterError } from './compileFilter.js';
import { recordFilterOf } from './recordFilter.js';
import { FilterError } from './filterParams.js';

const compile = (...args: Parameters<typeof filterConditions>): { sql: string; params: unknown[] } => {
  const where = filterConditions(...args);
  return { sql: where.join(' AND '), params: args[2] };
};

describe('recordFilterOf', () => {
  it('parses every field once, naming the parameter of a bad one', () => {
    const f = recordFilterOf({
      start_date: '2026-10-01', end_date: '2026-10-02', source: 'web-1, web-2', status_code: '5xx,404', level: 'error',
      route: ['/api/users/{id}', '/a,b'], method: 'get,post', q: '50%',
    });
    expect(f).toEqual({
      startMs: Date.UTC(2026, 9, 1), endMs: Date.UTC(2026, 9, 2), sources: ['web-1', 'web-2'],
      status: [{ from: 500, to: 599 }, { from: 404, to: 404 }], levels: ['ERROR'], routes: ['/api/users/{id}', '/a,b'],
      endpoint: undefined, methods: ['GET', 'POST'], q: '50%',
    });
    expect(() => recordFilterOf({ method: 'G E T' })).toThrow(expect.objectContaining({ param: 'method' }));
    expect(() => recordFilterOf({ route: '/a', endpoint: '/b' })).toThrow(expect.objectContaining({ param: 'route' }));
    expect(() => recordFilterOf({ start_date: '2026-10-02', end_date: '2026-10-01' })).toThrow(expect.objectContaining({ param: 'end_date' }));
  });

  it('takes an empty parameter as not given, as a form leaves it', () => {
    expect(recordFilterOf({ source: '', level: '', route: '', q: '' })).toEqual(recordFilterOf({}));
  });
});

describe('filterConditions', () => {
  const f = recordFilterOf({ start_date: '2026-10-01', source: 'web-1', status_code: '500,400-403', level: 'WARN,ERROR', route: '/r', method: 'GET' });

  it('bounds time on the target\'s column and passes every value as a parameter', () => {
    expect(compile(f, FULL_ROLLUPS, ['x'])).toEqual({
      sql: "bucket >= $2::timestamptz AND source = ANY($3::text[]) AND log_level = ANY($4::text[]) AND log_level <> 'INFO' AND "
        + '(status_code BETWEEN $5::int AND $6::int OR status_code = ANY($7::int[])) AND status_code >= 400 '
        + 'AND route = ANY($8::text[]) AND method = ANY($9::text[])',
      params: ['x', '2026-10-01T00:00:00.000Z', ['web-1'], ['WARN', 'ERROR'], 400, 403, [500], ['/r'], ['GET']],
    });
  });

  it('adds the partial indexes\' literals only where every level or code asked lies within them', () => {
    const sql = (q: Record<string, string>): string => compile(recordFilterOf(q), FULL_ROLLUPS, [], { range: false }).sql;
    expect(sql({ status_code: '5xx', level: 'ERROR' })).toBe(
      "log_level = ANY($1::text[]) AND log_level <> 'INFO' AND status_code BETWEEN $2::int AND $3::int AND status_code >= 400");
    expect(sql({ status_code: '200,5xx', level: 'INFO,ERROR' })).toBe(
      'log_level = ANY($1::text[]) AND (status_code BETWEEN $2::int AND $3::int OR status_code = ANY($4::int[]))');
  });

  it('compiles a range, some fields and an alias when asked', () => {
    expect(compile(f, RECORDS, [], { range: { fromMs: 0, toMs: 60_000 }, fields: ['source'], alias: 'l' })).toEqual({
      sql: 'l.timestamp >= $1::timestamptz AND l.timestamp < $2::timestamptz AND l.source = ANY($3::text[])',
      params: ['1970-01-01T00:00:00.000Z', '1970-01-01T00:01:00.000Z', ['web-1']],
    });
  });

  it('escapes LIKE wildcards in q and an endpoint prefix', () => {
    const g = recordFilterOf({ endpoint: '/a_b/*', q: '100%' });
    expect(compile(g, RECORDS, [], { range: false })).toEqual({
      sql: 'endpoint LIKE $1 AND raw_log ILIKE $2', params: ['/a\\_b/%', '%100\\%%'],
    });
  });

  it('refuses a field the target does not keep, naming the parameter', () => {
    expect(answers(FULL_ROLLUPS, f)).toBe(true);
    expect(answers(ROUTE_ROLLUPS, f)).toBe(false);
    const err = (() => {
      try {
        filterConditions(recordFilterOf({ q: 'x' }), FULL_ROLLUPS, []);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnsupportedFilterError);
    expect(err).toBeInstanceOf(FilterError);
    expect((err as UnsupportedFilterError).param).toBe('q');
    expect((err as UnsupportedFilterError).message).toContain('the rollups');
    expect(() => filterConditions(recordFilterOf({ route: '/r' }), SOURCE_ROLLUPS, [])).toThrow(expect.objectContaining({ param: 'route' }));
    // Only the fields asked for are checked.
    expect(filterConditions(recordFilterOf({ source: 's', q: 'x' }), SOURCE_ROLLUPS, [], { fields: ['source'] })).toEqual(['source = ANY($1::text[])']);
  });
});

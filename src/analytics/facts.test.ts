import { describe, expect, it } from 'vitest';
import type { RecordFilter } from '../query/recordFilter.js';
import { factsQuery, narrowFactsQuery, percentilesKept } from './facts.js';

const DAY = 86_400_000;
/** Two whole UTC days: every piece a daily rollup when the filter lets it be. */
const days: RecordFilter = { startMs: Date.UTC(2026, 0, 1), endMs: Date.UTC(2026, 0, 1) + 2 * DAY };
const tables = (sql: string): string[] => [...new Set([...sql.matchAll(/FROM (\w+)/g)].map((m) => m[1]!))].sort();

describe('which tables a filtered question reads', () => {
  it('status, level, route and method from the full-key rollups; the filter in their WHERE', () => {
    const params: unknown[] = [];
    const q = factsQuery({ ...days, status: [{ from: 500, to: 599 }], levels: ['ERROR'], routes: ['/a'], methods: ['GET'] }, params);
    expect(tables(q.sql)).toEqual(['rollups_1d']);
    expect(q.sourceOfTruth).toBe('rollups');
    expect(q.sql).toMatch(/status_code BETWEEN/);
    expect(params).toContainEqual(['/a']);
  });

  it('q or endpoint: the whole range from the raw rows', () => {
    const q = factsQuery({ ...days, q: 'bot' }, []);
    expect(tables(q.sql)).toEqual(['logs']);
    expect(q.sourceOfTruth).toBe('raw');
    expect(tables(narrowFactsQuery({ ...days, endpoint: { value: '/x', prefix: false } }, 'source', []).sql)).toEqual(['logs']);
  });

  it('a source list or routes: the narrow grain that keeps them', () => {
    expect(tables(narrowFactsQuery({ ...days, sources: ['a', 'b'] }, 'source', []).sql)).toEqual(['source_rollups_1d']);
    expect(tables(narrowFactsQuery({ ...days, routes: ['/a', '/b'] }, 'source', []).sql)).toEqual(['route_rollups_1d']);
  });

  it('status, level or method: the coarsest full-key rollups, with empty histograms where they keep none (percentiles not known)', () => {
    const whole = narrowFactsQuery({ ...days, levels: ['WARN'] }, 'source', []);
    expect(tables(whole.sql)).toEqual(['rollups_1d']);
    expect(whole.sql).toMatch(/'\{\}'::integer\[\] AS latency_buckets/);
    expect(percentilesKept({ ...days, levels: ['WARN'] })).toBe(false);
    // Minutes keep histograms: a range without whole hours keeps its percentiles.
    const minutes: RecordFilter = { startMs: days.startMs! + 60_000, endMs: days.startMs! + 30 * 60_000, methods: ['GET'] };
    expect(tables(narrowFactsQuery(minutes, 'route', []).sql)).toEqual(['rollups_1m']);
    expect(percentilesKept(minutes)).toBe(true);
    // A route or source filter reads the narrow rollups, which keep histograms at every grain.
    expect(percentilesKept({ ...days, routes: ['/a'], sources: ['s'] })).toBe(true);
  });
});

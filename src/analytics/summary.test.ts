import { describe, expect, it } from 'vitest';
import { addToCounts, bucketIndex, type BucketCounts } from '../domain/latencyHistogram.js';
import type { GroupTotals } from './facts.js';
import { latencySummary } from './summary.js';

/** The totals of requests with these latencies, as the rollups keep them (sum of µs, max, histogram). */
function totalsOf(latencies: number[]): GroupTotals {
  const hist: BucketCounts = new Map();
  for (const v of latencies) addToCounts(hist, bucketIndex(v));
  return {
    records: latencies.length, requests: latencies.length, errors: 0, clientErrors: 0, bytes: 0, hist,
    latencyCount: latencies.length,
    latencySumUs: latencies.reduce((a, v) => a + Math.round(v * 1000), 0),
    latencyMaxMs: Math.max(...latencies),
  };
}

describe('latency summary', () => {
  it('answers no percentile above the maximum, in order', () => {
    const s = latencySummary(totalsOf([...Array<number>(97).fill(12), 250, 250, 250]));
    expect(s).toMatchObject({ count: 100, max: 250, p95: 12.184, p99: 250 });
    expect(s.p50).toBeLessThanOrEqual(s.p90!);
    expect(s.p90).toBeLessThanOrEqual(s.p95!);
  });

  it('answers no average above the maximum (the sum is of latencies rounded to the µs)', () => {
    const s = latencySummary(totalsOf([1.0006, 1.0006]));
    expect(s.max).toBe(1.0006);
    expect(s.avg).toBe(1);
    expect(s.p99).toBe(1);
  });

  it('has no figure without latencies', () => {
    expect(latencySummary(undefined)).toMatchObject({ count: 0, p50: null, p99: null, avg: null, max: null });
  });
});

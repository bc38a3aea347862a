import { describe, expect, it } from 'vitest';
import {
  addHistogramPairsText, addHistogramText, addToCounts, bucketIndex, bucketValue, histogramArrays, quantile, quantiles, RELATIVE_ACCURACY, ZERO_BUCKET, type BucketCounts,
} from './latencyHistogram.js';

/** Nearest-rank quantile of raw values, as percentile_disc computes it. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length - 1e-9)) - 1]!;
}

describe('latency histogram', () => {
  it('every value is within the relative accuracy of its bucket value', () => {
    for (let v = 0.001; v < 1e7; v *= 1.013) {
      expect(Math.abs(bucketValue(bucketIndex(v)) - v) / v).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-12);
    }
    expect(bucketIndex(0)).toBe(ZERO_BUCKET);
    expect(bucketValue(ZERO_BUCKET)).toBe(0);
  });

  it('quantiles are within the bound of the exact nearest-rank quantile, with ties, zeros and one value', () => {
    let x = 3;
    const rnd = (): number => ((x = (Math.imul(x, 48_271) + 7) >>> 0) / 2 ** 32);
    const sets: number[][] = [
      [250],
      [4, 4, 4, 4, 4, 4, 100],
      [0, 0, 0, 1.5, 2, 2, 2, 900],
      Array.from({ length: 20 }, (_, i) => i + 1),
      Array.from({ length: 5000 }, () => Math.round(-Math.log(1 - rnd()) * 50_000) / 1000),
    ];
    for (const values of sets) {
      const counts: BucketCounts = new Map();
      for (const v of values) addToCounts(counts, bucketIndex(v));
      for (const q of [0.01, 0.5, 0.9, 0.95, 0.99, 1]) {
        const want = exactQuantile(values, q);
        expect(Math.abs(quantile(counts, q)! - want)).toBeLessThanOrEqual(RELATIVE_ACCURACY * want + 1e-12);
      }
    }
    expect(quantile(new Map(), 0.5)).toBeNull();
  });

  it('stores buckets ascending with their counts, without zeros', () => {
    expect(histogramArrays(new Map([[5, 2], [-3, 1], [9, 0]]))).toEqual({ buckets: [-3, 5], counts: [1, 2] });
  });

  it('adds histograms from the text of their arrays, several concatenated, negative buckets included', () => {
    const counts: BucketCounts = new Map([[7, 1]]);
    addHistogramText(counts, `{${ZERO_BUCKET},-12,7}{7,130}`, '{2,1,3}{10,1}');
    expect([...counts].sort((a, b) => a[0] - b[0])).toEqual([[ZERO_BUCKET, 2], [-12, 1], [7, 14], [130, 1]]);
    addHistogramText(counts, '{}', '{}');
    expect(counts.size).toBe(4);
    expect(() => addHistogramText(new Map(), '{1,2}', '{1}')).toThrow(/different lengths/);
  });

  it('adds histograms from one text of their arrays in pairs, buckets then counts', () => {
    const counts: BucketCounts = new Map([[7, 1]]);
    addHistogramPairsText(counts, `{${ZERO_BUCKET},-12,7}{2,1,3}{7,130}{10,1}{}{}`);
    expect([...counts].sort((a, b) => a[0] - b[0])).toEqual([[ZERO_BUCKET, 2], [-12, 1], [7, 14], [130, 1]]);
    addHistogramPairsText(counts, '');
    expect(counts.size).toBe(4);
    expect(() => addHistogramPairsText(new Map(), '{1,2}')).toThrow(/without its counts/);
  });

  it('reads several quantiles in one pass: the bucket of each nearest-rank order statistic', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i % 97) * 1.7);
    const counts: BucketCounts = new Map();
    for (const v of values) addToCounts(counts, bucketIndex(v));
    const sorted = [...values].sort((a, b) => a - b);
    const qs = [0.01, 0.5, 0.9, 0.95, 0.99, 1];
    expect(quantiles(counts, qs)).toEqual(qs.map((q) => bucketValue(bucketIndex(sorted[Math.ceil(q * 1000) - 1]!))));
    expect(quantiles(new Map(), [0.5, 0.9])).toEqual([null, null]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  addHistogramPairsText, addHistogramText, addToCounts, boundedLatency, boundedQuantiles, bucketIndex, bucketValue, floorToUs, histogramArrays,
  quantile, quantiles, RELATIVE_ACCURACY, ZERO_BUCKET, type BucketCounts,
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

  it('refuses quantiles out of order (one pass reads them ascending)', () => {
    expect(() => quantiles(new Map([[3, 1]]), [0.99, 0.5])).toThrow(/not ascending/);
  });
});

describe('quantiles bounded by the data', () => {
  const QS = [0.5, 0.9, 0.95, 0.99, 1];
  const histogramOf = (values: number[]): BucketCounts => {
    const counts: BucketCounts = new Map();
    for (const v of values) addToCounts(counts, bucketIndex(v));
    return counts;
  };
  /** Bounded quantiles of the values with their true maximum, checked against what the data allows. */
  const expectBounded = (values: number[]): (number | null)[] => {
    const max = Math.max(...values);
    const got = boundedQuantiles(histogramOf(values), QS, max);
    for (let i = 0; i < QS.length; i++) {
      const v = got[i]!;
      expect(v, `q=${QS[i]}`).toBeGreaterThanOrEqual(i === 0 ? 0 : got[i - 1]!);
      expect(v, `q=${QS[i]}`).toBeLessThanOrEqual(max);
      const want = exactQuantile(values, QS[i]!);
      expect(Math.abs(v - want), `q=${QS[i]}`).toBeLessThanOrEqual(RELATIVE_ACCURACY * want + 0.0005);
    }
    return got;
  };

  it('never answers above the largest latency, though the bucket value is (all requests at 250 ms: the bucket reads 254.8)', () => {
    expect(bucketValue(bucketIndex(250))).toBeGreaterThan(250);
    expect(expectBounded(Array<number>(40).fill(250))).toEqual([250, 250, 250, 250, 250]);
  });

  it('one value: every quantile is that value when its bucket reads above it, and within the bound when below', () => {
    expect(expectBounded([250])).toEqual([250, 250, 250, 250, 250]);
    // 1003 ms lies above its bucket's value (992.99): nothing to clamp, the 2% bound holds.
    expect(expectBounded([1003])).toEqual(Array<number>(5).fill(992.99));
  });

  it('skewed sets stay in order, under their maximum and within the bound', () => {
    let x = 11;
    const rnd = (): number => ((x = (Math.imul(x, 48_271) + 7) >>> 0) / 2 ** 32);
    expectBounded([...Array<number>(995).fill(1), 250, 250, 250, 250, 250]); // the tail in one bucket reading above it
    expectBounded([0, 0, 0, 0, 250]);
    expectBounded([...Array<number>(98).fill(3), 249.9, 250]);
    for (let k = 0; k < 20; k++) {
      const values = Array.from({ length: 200 }, () => Math.round(Math.exp(rnd() * 12) * 1000) / 1000);
      values.push(250); // often the max; its bucket reads above it
      expectBounded(values);
    }
  });

  it('rounding to the µs does not pass a maximum with more decimals, nor break the order', () => {
    // The bucket of 1.0618 reads 1.06163, below it; rounded that is 1.062, above it.
    const max = 1.0618;
    expect(bucketValue(bucketIndex(max))).toBeLessThan(max);
    expect(Math.round(bucketValue(bucketIndex(max)) * 1000) / 1000).toBeGreaterThan(max);
    expect(boundedQuantiles(histogramOf([1.0616, 1.0618]), [0.5, 1], max)).toEqual([1.061, 1.061]);
    expect(boundedLatency(1.0619, max)).toBe(1.061);
    expect(boundedLatency(1.0604, max)).toBe(1.06);
    expect(boundedLatency(-0.0001, null)).toBe(0);
    expect(boundedLatency(null, 5)).toBeNull();
    expect([floorToUs(1.005), floorToUs(0.0004), floorToUs(2.9999999)]).toEqual([1.005, 0, 2.999]);
  });
});

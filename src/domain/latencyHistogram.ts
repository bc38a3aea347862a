/**
 * Log-bucketed latency histograms with a relative error bound (the DDSketch layout, Masson et al.,
 * VLDB 2019). Bucket i holds latencies in (γ^(i-1), γ^i] ms with γ = (1+α)/(1-α); its representative
 * value 2γ^i/(γ+1) is within α of every value in it, so any quantile read from a histogram is within
 * α (2%) of the exact order statistic. Histograms merge by adding counts, which is what makes them
 * rollup-able: a day's histogram is the sum of its minutes'.
 *
 * Stored form: two int arrays of equal length, bucket indexes ascending and their counts (no zeros).
 * A latency of exactly 0 (nginx writes `0.000` for cached answers) has its own bucket, ZERO_BUCKET.
 */

/** The relative error bound of every quantile read from a histogram. */
export const RELATIVE_ACCURACY = 0.02;
export const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);
/** Bucket of latency 0; below every other index. */
export const ZERO_BUCKET = -100_000;
/** Positive latencies under 1 µs count as 1 µs (no log line is that precise). */
const MIN_POSITIVE_MS = 0.001;

/** The bucket index of a latency in ms (≥ 0). */
export function bucketIndex(latencyMs: number): number {
  if (latencyMs <= 0) return ZERO_BUCKET;
  return Math.ceil(Math.log(Math.max(latencyMs, MIN_POSITIVE_MS)) / LN_GAMMA);
}

/** bucketIndex in SQL, of the raw rows' `latency_ms` (for rows whose latency is not NULL). */
export const BUCKET_INDEX_SQL =
  `CASE WHEN latency_ms <= 0 THEN ${ZERO_BUCKET} ELSE ceil(ln(greatest(latency_ms, ${MIN_POSITIVE_MS})) / ln(${GAMMA}))::integer END`;

/** The value reported for a bucket: within RELATIVE_ACCURACY of every latency the bucket holds. */
export function bucketValue(index: number): number {
  if (index === ZERO_BUCKET) return 0;
  return (2 * Math.pow(GAMMA, index)) / (GAMMA + 1);
}

/** Counts per bucket index, for building or merging histograms. */
export type BucketCounts = Map<number, number>;

export function addToCounts(counts: BucketCounts, index: number, n = 1): void {
  counts.set(index, (counts.get(index) ?? 0) + n);
}

/** The stored form: bucket indexes ascending, and their counts. */
export function histogramArrays(counts: BucketCounts): { buckets: number[]; counts: number[] } {
  const buckets = [...counts.keys()].filter((i) => counts.get(i)! > 0).sort((a, b) => a - b);
  return { buckets, counts: buckets.map((i) => counts.get(i)!) };
}

/**
 * The q-quantile (0 < q ≤ 1) by nearest rank: the value of the ⌈q·n⌉-th smallest latency, as
 * PostgreSQL's percentile_disc(q) defines it; null for an empty histogram.
 */
export function quantile(counts: BucketCounts, q: number): number | null {
  return quantiles(counts, [q])[0]!;
}

/** Several quantiles (ascending) of one histogram, in one pass over its sorted buckets. */
export function quantiles(counts: BucketCounts, qs: readonly number[]): (number | null)[] {
  for (let i = 1; i < qs.length; i++) if (!(qs[i]! >= qs[i - 1]!)) throw new Error(`quantiles not ascending: ${qs.join(', ')}`);
  let total = 0;
  for (const n of counts.values()) total += n;
  if (total === 0) return qs.map(() => null);
  // The epsilon keeps q·n = 19.000000000000004 (0.95 × 20 in binary floating point) at rank 19.
  const ranks = qs.map((q) => Math.max(1, Math.ceil(q * total - 1e-9)));
  const out: (number | null)[] = qs.map(() => null);
  let next = 0;
  let seen = 0;
  for (const index of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(index)!;
    while (next < ranks.length && seen >= ranks[next]!) out[next++] = bucketValue(index);
    if (next === ranks.length) break;
  }
  return out;
}

/** A latency in ms to the µs, as every answer gives it (Math.round: floor(x + 0.5)). */
export function roundToUs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The largest whole number of µs not above `ms` (as a double: never above `ms` itself). */
export function floorToUs(ms: number): number {
  const n = Math.round(ms * 1000);
  return n / 1000 <= ms ? n / 1000 : (n - 1) / 1000;
}

/**
 * A latency figure as answers give it: to the µs, never below 0 nor above `maxMs`, the largest latency
 * of the same rows (the rollups keep it exactly; they keep no minimum, and the histogram's lowest
 * bucket already bounds every quantile from below). A bucket's value can lie above every latency it
 * holds (all requests at 250 ms: their bucket reads 254.8), and rounding to the µs can pass a maximum
 * that has more decimals; either would be a figure the data disproves. Clamping only brings a quantile
 * nearer the truth (the exact one is ≤ maxMs), so the error bound holds. `min(round(v), floor(max))`
 * is monotone in v, so figures in order (p50 ≤ … ≤ p99 ≤ max) stay in order.
 */
export function boundedLatency(v: number | null, maxMs: number | null): number | null {
  if (v === null) return null;
  const rounded = Math.max(0, roundToUs(v));
  return maxMs === null ? rounded : Math.min(rounded, floorToUs(Math.max(0, maxMs)));
}

/**
 * boundedLatency(bucketValue(bucket), maxMs) in SQL over float8 columns, computed as here (Math.round
 * as floor(x + 0.5)), for rankings done in SQL that must agree with the figures answered.
 */
export function boundedBucketValueSql(bucket: string, maxMs: string): string {
  const value = `(CASE WHEN ${bucket} = ${ZERO_BUCKET} THEN 0::float8 ELSE 2 * power(${GAMMA}::float8, ${bucket}) / ${GAMMA + 1}::float8 END)`;
  const max = `(CASE WHEN ${maxMs} < 0 THEN 0::float8 ELSE ${maxMs} END)`; // NULL stays NULL (greatest would make it 0)
  const roundedMax = `floor(${max} * 1000 + 0.5)`;
  const flooredMax = `(CASE WHEN ${roundedMax} / 1000 <= ${max} THEN ${roundedMax} / 1000 ELSE (${roundedMax} - 1) / 1000 END)`;
  // least() ignores a NULL maximum, as boundedLatency does.
  return `least(floor(${value} * 1000 + 0.5) / 1000, ${flooredMax})`;
}

/**
 * quantiles() of a histogram bounded by the largest latency of the rows it counts (boundedLatency):
 * what every percentile answered reads, so that none exceeds the maximum answered beside it.
 */
export function boundedQuantiles(counts: BucketCounts, qs: readonly number[], maxMs: number | null): (number | null)[] {
  return quantiles(counts, qs).map((v) => boundedLatency(v, maxMs));
}

/**
 * Adds histograms in PostgreSQL's text form of their two arrays (`{3,7,9}` and `{1,4,2}`) into
 * `counts`. Several histograms may be concatenated (`{3,7}{5}`): anything but digits and `-`
 * separates numbers. Parsing the text here is several times faster than the driver's array parser,
 * and reading whole days of histograms is most of what a percentile answer costs.
 */
export function addHistogramText(counts: BucketCounts, buckets: string, bucketCounts: string): void {
  let i = 0;
  let j = 0;
  for (;;) {
    const b = readInt(buckets, i);
    if (b === null) return;
    i = b.next;
    const n = readInt(bucketCounts, j);
    if (n === null) throw new Error('latency histogram arrays of different lengths');
    j = n.next;
    counts.set(b.value, (counts.get(b.value) ?? 0) + n.value);
  }
}

/**
 * Adds histograms given as one text of arrays in pairs, each histogram's buckets then its counts:
 * `{3,7}{1,4}{5}{2}` is {3,7}/{1,4} and {5}/{2}. What SQL's `string_agg(latency_buckets::text ||
 * latency_counts::text, '')` gives: one aggregate, so a histogram's two arrays cannot be parted.
 */
export function addHistogramPairsText(counts: BucketCounts, text: string): void {
  for (let i = 0; ;) {
    const bucketsStart = text.indexOf('{', i);
    if (bucketsStart < 0) return;
    const bucketsEnd = text.indexOf('}', bucketsStart);
    const countsStart = text.indexOf('{', bucketsEnd);
    const countsEnd = countsStart < 0 ? -1 : text.indexOf('}', countsStart);
    if (bucketsEnd < 0 || countsEnd < 0) throw new Error('latency histogram text without its counts');
    addHistogramText(counts, text.slice(bucketsStart, bucketsEnd + 1), text.slice(countsStart, countsEnd + 1));
    i = countsEnd + 1;
  }
}

/** The next integer in `s` from position `from`, skipping separators; null at the end. */
function readInt(s: string, from: number): { value: number; next: number } | null {
  let i = from;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 45 || (c >= 48 && c <= 57)) break;
  }
  if (i >= s.length) return null;
  const negative = s.charCodeAt(i) === 45;
  if (negative) i++;
  let v = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return { value: negative ? -v : v, next: i };
}

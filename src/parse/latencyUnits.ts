/**
 * Which reading of a latency field is right when layouts read the same lines and differ only in its
 * unit: Apache's integer after combined is %D (µs), %{ms}T (ms) or %T (whole seconds), and the line
 * does not say which. The values do: each reading is scored by how likely its latencies are for web
 * requests, and the likeliest wins.
 *
 * The prior: log10(latency in ms) ~ Normal(1.7, 1.0), i.e. a median of 50 ms with most requests
 * between 1 ms and 5 s. A logged integer v of resolution r (1000 ms for %T, 1 ms, 0.001 ms) says the
 * latency lies in [v, v + r), so a reading's score is the log-probability of those intervals: a `0` in
 * %T (a request under a second) is likely, a `0` read as µs (under a microsecond) is not, and 52310
 * read as seconds (14.5 hours) is not either.
 */
const PRIOR_MEAN = 1.7;
const PRIOR_SD = 1.0;
const RESOLUTIONS_MS = [1000, 1, 0.001];
/** A log-probability difference (natural log) below which the choice is reported as uncertain. */
const SURE_TOTAL = Math.log(1000);
const SURE_PER_VALUE = 0.5;

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 through erf; error below 1.5e-7). */
function phi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** The coarsest resolution of which every value is a multiple (values in ms). */
function resolutionOf(values: readonly number[]): number {
  for (const r of RESOLUTIONS_MS) {
    // A value below r is a multiple of r only when it is 0 (a tolerance alone would take 1e-5 for a multiple of 1000).
    if (values.every((v) => v === 0 || (v >= r && Math.abs(v / r - Math.round(v / r)) < 1e-6))) return r;
  }
  return 0.001;
}

/**
 * Log-likelihood of latencies (ms) under the prior; null values are skipped. `resolutionMs`: what one
 * logged unit is worth (1000 for %T), when the layout says; else the coarsest the values allow.
 */
export function latencyLogLikelihood(values: readonly (number | null)[], resolutionMs?: number): number {
  const vs = values.filter((v): v is number => v !== null);
  const r = resolutionMs ?? resolutionOf(vs);
  const cdf = (ms: number): number => (ms <= 0 ? 0 : phi((Math.log10(ms) - PRIOR_MEAN) / PRIOR_SD));
  let total = 0;
  for (const v of vs) total += Math.log(Math.max(cdf(v + r) - cdf(v), 1e-300));
  return total;
}

export interface UnitChoice {
  /** Index of the likeliest reading. */
  best: number;
  /** Whether it is clearly likelier than the next (see SURE_TOTAL, SURE_PER_VALUE). */
  sure: boolean;
  /** The next likeliest, for the warning. */
  runnerUp: number;
}

/**
 * Picks among readings of the same lines' latency (each an array of ms, null where the line has none),
 * each with its resolution when the layout states it (every value 0 reads alike in every unit).
 */
export function chooseLatencyReading(readings: readonly (readonly (number | null)[])[], resolutionsMs: readonly (number | undefined)[] = []): UnitChoice {
  const scores = readings.map((r, i) => latencyLogLikelihood(r, resolutionsMs[i]));
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  const [best, next] = [order[0]!, order[1]];
  const values = readings[best[1]]!.filter((v) => v !== null).length;
  const margin = next === undefined ? Infinity : best[0] - next[0];
  return { best: best[1], runnerUp: next?.[1] ?? best[1], sure: margin >= SURE_TOTAL && margin >= SURE_PER_VALUE * values };
}

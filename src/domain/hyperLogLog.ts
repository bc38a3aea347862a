/**
 * HyperLogLog (Flajolet et al. 2007, with the small-range correction of Heule et al. 2013) for
 * counting distinct client addresses over any time range from per-hour sketches: a sketch is 4096
 * one-byte registers, two sketches merge by taking each register's maximum, and the estimate has a
 * standard error of 1.04/√4096 ≈ 1.6%. Exact distinct counts would need every address of every hour.
 */

export const HLL_PRECISION = 12;
export const HLL_REGISTERS = 1 << HLL_PRECISION;
/** The standard error of an estimate (about two thirds of estimates fall within it). */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(HLL_REGISTERS);

const ALPHA = 0.7213 / (1 + 1.079 / HLL_REGISTERS);
const HASH_BITS = 53;
const RANK_BITS = HASH_BITS - HLL_PRECISION;
const TWO_POW_RANK_BITS = 2 ** RANK_BITS;

/**
 * cyrb53 (a public-domain 53-bit string hash by bryc): two 32-bit multiply-xorshift lanes; well
 * mixed and fast in JavaScript, where 64-bit integers are not.
 */
export function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Adds a value to a sketch (registers as a Uint8Array of HLL_REGISTERS). */
export function hllAdd(registers: Uint8Array, value: string): void {
  const h = hash53(value);
  const index = Math.floor(h / TWO_POW_RANK_BITS); // the top HLL_PRECISION bits
  const rest = h % TWO_POW_RANK_BITS;
  // Rank: position of the first 1 bit among the remaining RANK_BITS bits (RANK_BITS + 1 when none);
  // counted exactly (Math.log2 may round up just below a power of two). Two steps on average.
  let rank = 1;
  for (let bit = TWO_POW_RANK_BITS / 2; bit >= 1 && rest < bit; bit /= 2) rank++;
  if (rank > registers[index]!) registers[index] = rank;
}

/** Merges `from` into `into` (each register's maximum). */
export function hllMerge(into: Uint8Array, from: Uint8Array): void {
  for (let i = 0; i < HLL_REGISTERS; i++) if (from[i]! > into[i]!) into[i] = from[i]!;
}

/** The estimated number of distinct values added. */
export function hllEstimate(registers: Uint8Array): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const r = registers[i]!;
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const raw = (ALPHA * HLL_REGISTERS * HLL_REGISTERS) / sum;
  // Small cardinalities: linear counting over the empty registers is far more precise.
  if (zeros > 0 && raw <= 2.5 * HLL_REGISTERS) return Math.round(HLL_REGISTERS * Math.log(HLL_REGISTERS / zeros));
  return Math.round(raw);
}

/**
 * A distinct count as far as the data proves it: the sketch's estimate, but never below `atLeast`
 * (values known to be distinct, counted exactly) nor above `atMost` (the values added, counting
 * repeats: no more can be distinct). An estimate can pass either, small sets included: 64 distinct
 * addresses can read 65, since linear counting corrects for collisions the set may not have had. When
 * the two bounds meet, the count is exact.
 */
export function boundedDistinct(estimate: number, atLeast: number, atMost: number): { count: number; exact: boolean } {
  return { count: Math.min(atMost, Math.max(atLeast, estimate)), exact: atLeast === atMost };
}

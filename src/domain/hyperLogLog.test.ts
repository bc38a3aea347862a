import { describe, expect, it } from 'vitest';
import { HLL_REGISTERS, HLL_STANDARD_ERROR, hllAdd, hllEstimate, hllMerge } from './hyperLogLog.js';

const ip = (i: number): string => `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

describe('HyperLogLog', () => {
  it('estimates distinct counts within three standard errors, small and large', () => {
    for (const n of [0, 1, 7, 100, 1_000, 20_000, 300_000]) {
      const r = new Uint8Array(HLL_REGISTERS);
      for (let i = 0; i < n; i++) hllAdd(r, ip(i * 7919));
      for (let i = 0; i < n; i += 3) hllAdd(r, ip(i * 7919)); // repeats change nothing
      expect(Math.abs(hllEstimate(r) - n), `n=${n}`).toBeLessThanOrEqual(Math.max(1, 3 * HLL_STANDARD_ERROR * n));
    }
  });

  it('merging sketches is the sketch of the union', () => {
    const a = new Uint8Array(HLL_REGISTERS);
    const b = new Uint8Array(HLL_REGISTERS);
    const both = new Uint8Array(HLL_REGISTERS);
    for (let i = 0; i < 50_000; i++) {
      const v = ip(i);
      hllAdd(i % 2 ? a : b, v);
      if (i % 5 === 0) hllAdd(a, v); // overlap
      hllAdd(both, v);
    }
    hllMerge(a, b);
    expect(a).toEqual(both);
  });
});

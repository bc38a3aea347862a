import { describe, expect, it } from 'vitest';
import { boundedDistinct, HLL_REGISTERS, HLL_STANDARD_ERROR, hllAdd, hllEstimate, hllMerge } from './hyperLogLog.js';

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

  it('can estimate more distinct values than there are, small sets included: bounded by what the data proves', () => {
    // 64 addresses, each in its own register: linear counting corrects for collisions this set did not have.
    const r = new Uint8Array(HLL_REGISTERS);
    for (let i = 1; i <= 64; i++) hllAdd(r, `10.0.0.${i}`);
    expect(hllEstimate(r)).toBe(65);
    // 64 requests, each with its own address: no more than 64 can be distinct.
    expect(boundedDistinct(hllEstimate(r), 0, 64)).toEqual({ count: 64, exact: false });
    // With every one of the 64 known exactly, the bounds meet: the count is exact.
    expect(boundedDistinct(hllEstimate(r), 64, 64)).toEqual({ count: 64, exact: true });
    // Under what is known exactly, the estimate is raised to it; within the bounds it stands.
    expect(boundedDistinct(60, 62, 100)).toEqual({ count: 62, exact: false });
    expect(boundedDistinct(70, 62, 100)).toEqual({ count: 70, exact: false });
    expect(boundedDistinct(0, 0, 0)).toEqual({ count: 0, exact: true });
  });
});

import { describe, expect, it } from 'vitest';
import { readBinaryCopy } from '../../test/helpers/binaryCopy.js';
import { BinaryCopyWriter, BufferPool, concatBinaryCopy, uuidBytes } from './binaryCopy.js';

describe('BinaryCopyWriter', () => {
  it('encodes each type in PostgreSQL binary send format, with NULLs and a trailer', () => {
    const w = new BinaryCopyWriter(64);
    w.row(7);
    w.timestamptz(Date.UTC(2000, 0, 1, 0, 0, 1) + 0.5);
    w.text('héllo');
    w.int16(404);
    w.int64(2 ** 40 + 3);
    w.float64(0.25);
    w.text(null);
    w.bytes(uuidBytes('00000000-0000-4000-8000-00000000000a'));
    w.row(2);
    w.timestamptz(Date.UTC(1995, 6, 1));
    w.int64(-5);
    const rows = readBinaryCopy(w.finish());
    expect(rows).toHaveLength(2);
    const [ts, text, status, big, dbl, nul, uuid] = rows[0]!;
    expect(ts!.readBigInt64BE()).toBe(1_000_500n); // µs since 2000-01-01, the half millisecond kept
    expect(text!.toString('utf8')).toBe('héllo');
    expect(status!.readInt16BE()).toBe(404);
    expect(big!.readBigInt64BE()).toBe(BigInt(2 ** 40 + 3));
    expect(dbl!.readDoubleBE()).toBe(0.25);
    expect(nul).toBeNull();
    expect(uuid!.toString('hex')).toBe('000000000000400080000000000000' + '0a');
    expect(rows[1]![0]!.readBigInt64BE()).toBe(BigInt(Date.UTC(1995, 6, 1) - Date.UTC(2000, 0, 1)) * 1000n);
    expect(rows[1]![1]!.readBigInt64BE()).toBe(-5n);
  });

  it('int64 saturates at the int64 bounds instead of wrapping', () => {
    const values = [2 ** 53, 2 ** 53 + 2, 2 ** 62, 2 ** 63 - 1, 2 ** 63, 1e19, Infinity, -(2 ** 63), -(2 ** 63) - 1e4, -1e19, -Infinity, NaN];
    const w = new BinaryCopyWriter(64);
    w.row(values.length);
    for (const v of values) w.int64(v);
    const max = 2n ** 63n - 1n;
    const min = -(2n ** 63n);
    expect(readBinaryCopy(w.finish())[0]!.map((f) => f?.readBigInt64BE() ?? null)).toEqual([
      2n ** 53n, 2n ** 53n + 2n, 2n ** 62n,
      max, max, max, max, // 2^63 − 1 is not a double: it is 2^63, which saturates like everything above
      min, min, min, min,
      null,
    ]);
  });

  it('encodes integer arrays in array_send format', () => {
    const w = new BinaryCopyWriter(64);
    w.row(3);
    w.int32Array([-3, 7]);
    w.int32Array([]);
    w.int32Array([1, 10, 2, 20, 3, 30], 1, 2);
    const [full, empty, odd] = readBinaryCopy(w.finish())[0]!;
    expect([...Array(odd!.length / 4).keys()].map((i) => odd!.readInt32BE(i * 4))).toEqual([1, 0, 23, 3, 1, 4, 10, 4, 20, 4, 30]);
    // dims, hasnull, element oid, length, lower bound, then (length, value) per element
    expect([...Array(full!.length / 4).keys()].map((i) => full!.readInt32BE(i * 4))).toEqual([1, 0, 23, 2, 1, 4, -3, 4, 7]);
    expect([...Array(empty!.length / 4).keys()].map((i) => empty!.readInt32BE(i * 4))).toEqual([0, 0, 23]);
  });

  it('grows past its initial size', () => {
    const w = new BinaryCopyWriter(64);
    const long = 'x'.repeat(10_000);
    w.row(1);
    w.text(long);
    expect(readBinaryCopy(w.finish())[0]![0]!.toString()).toBe(long);
  });

  it('copies short ASCII itself and hands other text to the UTF-8 encoder', () => {
    const w = new BinaryCopyWriter(64);
    const values = ['GET', '', 'é', 'x'.repeat(39) + 'ü', '/a/b', '€uro', '😀', 'y'.repeat(41)];
    w.row(values.length);
    for (const v of values) w.text(v);
    expect(readBinaryCopy(w.finish())[0]!.map((f) => f!.toString('utf8'))).toEqual(values);
  });

  it('takes its buffers from a pool and reuses returned ones', () => {
    const pool = new BufferPool();
    const first = new BinaryCopyWriter(1024, pool).finish();
    pool.put(first.buffer as ArrayBuffer);
    const w = new BinaryCopyWriter(512, pool);
    w.row(1);
    w.int32(7);
    const again = w.finish();
    expect(again.buffer).toBe(first.buffer);
    expect(readBinaryCopy(again)).toEqual([[Buffer.from([0, 0, 0, 7])]]);
    // A buffer transferred to another thread is detached: the pool ignores it.
    const gone = new ArrayBuffer(2048);
    structuredClone(gone, { transfer: [gone] });
    pool.put(gone);
    expect(pool.get(2048)).not.toBe(gone);
    // A much larger pooled buffer is kept for a payload that needs it.
    const big = new ArrayBuffer(8 << 20);
    pool.put(big);
    expect(pool.get(16 << 10)).not.toBe(big);
    expect(pool.get(4 << 20)).toBe(big);
  });

  it('keeps at most maxBytes (the smallest go first, the largest always stays) and maxBuffers', () => {
    const pool = new BufferPool(3, 10 << 20);
    const [a, b, c] = [new ArrayBuffer(6 << 20), new ArrayBuffer(3 << 20), new ArrayBuffer(2 << 20)];
    for (const x of [a, b, c]) pool.put(x);
    // 11 MiB > 10: the 2 MiB one went (it would be the best fit for 2 MiB).
    expect(pool.get(2 << 20)).toBe(b);
    expect(pool.get(2 << 20)).toBe(a);
    const huge = new ArrayBuffer(20 << 20);
    pool.put(huge);
    expect(pool.get(16 << 20)).toBe(huge); // over the budget alone, and kept
    pool.put(a);
    pool.clear();
    expect(pool.get(6 << 20)).not.toBe(a);
  });

  it('joins payloads into one: one header, every row in order, one trailer', () => {
    const payload = (values: number[]): Uint8Array => {
      const w = new BinaryCopyWriter(64);
      for (const v of values) {
        w.row(1);
        w.int64(v);
      }
      return w.finish();
    };
    const joined = concatBinaryCopy([payload([1, 2]), payload([]), payload([3])]);
    expect(readBinaryCopy(joined).map((r) => r[0]!.readBigInt64BE())).toEqual([1n, 2n, 3n]);
    const one = payload([4]);
    expect(concatBinaryCopy([one])).toBe(one);
  });
});

import { describe, expect, it } from 'vitest';
import { readBinaryCopy } from '../../test/helpers/binaryCopy.js';
import { hllEstimate } from '../domain/hyperLogLog.js';
import { bucketIndex } from '../domain/latencyHistogram.js';
import { RollupBuilder, type RollupInput, type RollupRows } from './rollups.js';

const rec = (iso: string, statusCode: number | null, latencyMs: number | null, bytesSent: number | null = 10): RollupInput => ({
  timestamp: Date.parse(iso), method: statusCode === null ? null : 'GET', statusCode,
  level: statusCode === null ? 'ERROR' : statusCode >= 500 ? 'ERROR' : 'INFO', bytesSent, latencyMs, clientIp: '192.0.2.1',
});

const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const intArray = (b: Buffer): number[] => (b.readInt32BE(0) === 0 ? [] : Array.from({ length: b.readInt32BE(12) }, (_, i) => b.readInt32BE(24 + i * 8)));

/** Decodes the full-key rows of one table (rollups_1m, _1h or _1d) back into plain values. */
function decode(rows: RollupRows, table: string) {
  return rows.copies.filter((c) => c.table === table).flatMap((c) => readBinaryCopy(c.data)).map((f) => ({
    bucket: new Date(Number(f[0]!.readBigInt64BE() / 1000n) + PG_EPOCH_MS).toISOString(),
    source: f[1]!.toString(),
    route: f[2]?.toString() ?? null,
    status_code: f[4] ? f[4].readInt16BE() : null,
    records: Number(f[6]!.readBigInt64BE()),
    bytes_sent: Number(f[7]!.readBigInt64BE()),
    latency_count: Number(f[8]!.readBigInt64BE()),
    latency_sum_us: Number(f[9]!.readBigInt64BE()),
    latency_max_ms: f[10] ? f[10].readDoubleBE() : null,
    ...(f.length > 11 ? { latency_buckets: intArray(f[11]!), latency_counts: intArray(f[12]!) } : {}),
  }));
}

describe('RollupBuilder', () => {
  it('sums records per minute, and the minutes into hours and days', () => {
    const b = new RollupBuilder('web');
    b.add(rec('2026-10-01T10:00:05Z', 200, 4), '/a');
    b.add(rec('2026-10-01T10:00:59.999Z', 200, 4), '/a');
    b.add(rec('2026-10-01T10:01:00Z', 200, 0), '/a');
    b.add(rec('2026-10-01T11:30:00Z', 200, null, null), '/a');
    b.add(rec('2026-10-01T10:00:10Z', 500, 120.5), '/a');
    b.add(rec('2026-10-01T10:00:10Z', null, null, null), null);
    const rows = b.take()!;
    const [m, h, d] = ['rollups_1m', 'rollups_1h', 'rollups_1d'].map((table) => decode(rows, table));
    expect(m).toHaveLength(5);
    expect(m!.find((r) => r.records === 2)).toEqual({
      bucket: '2026-10-01T10:00:00.000Z', source: 'web', route: '/a', status_code: 200,
      records: 2, bytes_sent: 20, latency_count: 2, latency_sum_us: 8000, latency_max_ms: 4,
      latency_buckets: [bucketIndex(4)], latency_counts: [2],
    });
    expect(h!.map((r) => [r.bucket, r.status_code, r.records]).sort()).toEqual([
      ['2026-10-01T10:00:00.000Z', 200, 3], ['2026-10-01T11:00:00.000Z', 200, 1], ['2026-10-01T10:00:00.000Z', 500, 1], ['2026-10-01T10:00:00.000Z', null, 1],
    ].sort());
    // Hours and days of the full key keep no histogram; the narrow rows below do.
    expect(d!.find((r) => r.status_code === 200)).toEqual({
      bucket: '2026-10-01T00:00:00.000Z', source: 'web', route: '/a', status_code: 200, records: 4, bytes_sent: 30, latency_count: 3,
      latency_sum_us: 8000, latency_max_ms: 4,
    });
    expect(d!.find((r) => r.status_code === null)).toMatchObject({ route: null, records: 1 });
    expect(rows.dirty.map((x) => [x.table, new Date(x.bucketMs).toISOString()])).toEqual([
      ['rollups_1h', '2026-10-01T10:00:00.000Z'], ['rollups_1h', '2026-10-01T11:00:00.000Z'], ['rollups_1d', '2026-10-01T00:00:00.000Z'],
    ]);
    expect(b.take()).toBeNull();
  });

  it('sums the same records per route and per source, with 5xx and 4xx counted and histograms merged', () => {
    const b = new RollupBuilder('web');
    b.add(rec('2026-10-01T10:00:05Z', 200, 4), '/a');
    b.add(rec('2026-10-01T10:00:06Z', 404, 4), '/a');
    b.add(rec('2026-10-01T10:59:00Z', 503, 120.5), '/b');
    b.add(rec('2026-10-01T13:00:00Z', 200, 0), '/a');
    b.add(rec('2026-10-01T13:00:10Z', null, null, null), null);
    const rows = b.take()!;
    // Per-source rows have no route column: read them as if they had a NULL one.
    const of = (table: string) => rows.copies.filter((c) => c.table === table).flatMap((c) => readBinaryCopy(c.data)).map((f) => {
      const g = table.startsWith('route_') ? f : [f[0]!, f[1]!, null, ...f.slice(2)];
      return {
        bucket: new Date(Number(g[0]!.readBigInt64BE() / 1000n) + PG_EPOCH_MS).toISOString().slice(11, 16),
        route: g[2]?.toString() ?? null,
        counts: [3, 4, 5, 6, 7, 8].map((i) => Number(g[i]!.readBigInt64BE())), // records, requests, errors, client errors, bytes, latencies
        latency_buckets: intArray(g[11]!),
        latency_counts: intArray(g[12]!),
      };
    });
    expect(of('route_rollups_1d')).toEqual([
      { bucket: '00:00', route: '/a', counts: [3, 3, 0, 1, 30, 3], latency_buckets: [-100_000, bucketIndex(4)], latency_counts: [1, 2] },
      { bucket: '00:00', route: '/b', counts: [1, 1, 1, 0, 10, 1], latency_buckets: [bucketIndex(120.5)], latency_counts: [1] },
      { bucket: '00:00', route: null, counts: [1, 0, 0, 0, 0, 0], latency_buckets: [], latency_counts: [] },
    ]);
    expect(of('source_rollups_1d')).toEqual([{
      bucket: '00:00', route: null, counts: [5, 4, 1, 1, 40, 4],
      latency_buckets: [-100_000, bucketIndex(4), bucketIndex(120.5)], latency_counts: [1, 2, 1],
    }]);
    expect(of('source_rollups_1h').map((r) => [r.bucket, r.counts[0]])).toEqual([['10:00', 3], ['13:00', 2]]);
    expect(of('route_rollups_1h').map((r) => [r.bucket, r.route, r.counts[0]])).toEqual([['10:00', '/a', 2], ['10:00', '/b', 1], ['13:00', '/a', 1], ['13:00', null, 1]]);
    expect(of('source_rollups_1m').map((r) => [r.bucket, r.counts[0]])).toEqual([['10:00', 2], ['10:59', 1], ['13:00', 2]]);
  });

  it('marks the minutes an earlier batch covered for merging, and inserts the rest', () => {
    const b = new RollupBuilder('web');
    b.add(rec('2026-10-01T10:00:05Z', 200, 4), '/a');
    b.add(rec('2026-10-01T10:01:05Z', 200, 4), '/a');
    b.take();
    b.add(rec('2026-10-01T10:01:30Z', 200, 4), '/a');
    b.add(rec('2026-10-01T10:02:00Z', 200, 4), '/a');
    b.add(rec('2026-10-01T09:59:00Z', 500, 4), '/a'); // late, but before anything taken so far: new
    const minutes = b.take()!.copies.filter((c) => c.table.endsWith('_1m'));
    const read = (c: (typeof minutes)[number]) => readBinaryCopy(c.data).map((f) => new Date(Number(f[0]!.readBigInt64BE() / 1000n) + PG_EPOCH_MS).toISOString().slice(11, 16)).sort();
    expect(minutes.map((c) => [c.table, c.merge, read(c)]).sort()).toEqual([
      ['rollups_1m', false, ['09:59', '10:02']],
      ['rollups_1m', true, ['10:01']],
      ['source_rollups_1m', false, ['09:59', '10:02']],
      ['source_rollups_1m', true, ['10:01']],
    ].sort());
  });

  it('sketches the distinct clients of each hour, and of the day as their union', () => {
    const b = new RollupBuilder('web');
    b.add({ ...rec('2026-10-01T10:00:05Z', 200, 4), clientIp: '192.0.2.1' }, '/a');
    b.add({ ...rec('2026-10-01T10:30:05Z', 200, 4), clientIp: '192.0.2.2' }, '/a');
    b.add({ ...rec('2026-10-01T11:00:05Z', 200, 4), clientIp: '192.0.2.1' }, '/a');
    b.add({ ...rec('2026-10-01T11:00:06Z', 200, 4), clientIp: null }, '/a');
    const sketches = b.take()!.sketches;
    const count = (registers: Uint8Array): number => hllEstimate(registers);
    expect(sketches.map((s) => [s.table, new Date(s.bucketMs).toISOString(), count(s.registers)])).toEqual([
      ['client_sketches_1h', '2026-10-01T10:00:00.000Z', 2],
      ['client_sketches_1h', '2026-10-01T11:00:00.000Z', 1],
      ['client_sketches_1d', '2026-10-01T00:00:00.000Z', 2],
    ]);
  });
});

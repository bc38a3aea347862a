import type { Queryable } from '../db/db.js';
import { upsertSql } from '../db/rollupSql.js';
import { NARROW_ROLLUPS, ROLLUP_TABLES, rollupColumns, SKETCH_TABLES, type RollupTable, type RollupTableName, type RollupValues } from '../db/rollupTables.js';
import { HLL_REGISTERS, hllAdd, hllMerge } from '../domain/hyperLogLog.js';
import { bucketIndex } from '../domain/latencyHistogram.js';
import { floorTo } from '../domain/timeBuckets.js';
import type { LogLevel, LogRecord } from '../domain/record.js';
import type { BufferPool } from './binaryCopy.js';
import { RollupCopies, type RollupCopy } from './rollupCopy.js';

export type { RollupCopy } from './rollupCopy.js';

/**
 * Advisory lock key serialising rollup writers: ingest batches and compaction take it shared (they
 * add to rollups side by side), a rebuild takes it exclusively for each day it recomputes, so no
 * batch can add to a day between the rebuild's delete and its re-insert.
 */
export const ROLLUP_WRITE_LOCK = 7_402_002;

/**
 * Class of the advisory locks (two-key form, a keyspace apart from ROLLUP_WRITE_LOCK's) that order one
 * source's rollup upserts: every rollup key holds its source, so two batches of one source are the only
 * ones that upsert the same rows. Taken in the batch's transaction just before its upserts, so they
 * wait for each other there (their records' COPY runs side by side) and never deadlock: two jobs of a
 * source upserting overlapping minutes in different orders did, and each wait was a deadlock_timeout.
 */
export const ROLLUP_SOURCE_LOCK_CLASS = 7_402_003;

/** The fields of a stored record that rollups count (its route comes separately). */
export type RollupInput = Pick<LogRecord, 'timestamp' | 'method' | 'statusCode' | 'level' | 'bytesSent' | 'latencyMs' | 'clientIp'>;

/** A batch's part of the distinct-clients sketch of one hour or day. */
export interface SketchPart {
  table: (typeof SKETCH_TABLES)[keyof typeof SKETCH_TABLES];
  bucketMs: number;
  registers: Uint8Array;
}

/** What one rollup row counts, before it is written (its columns read from it by name: RollupValues in src/db/rollupTables.ts). */
interface Aggregate {
  bucketMs: number;
  source: string;
  route: string | null;
  /** method, status code and level as one number (see AggregateIndex.key). */
  key: number;
  method: string | null;
  statusCode: number | null;
  level: LogLevel;
  records: number;
  bytesSent: number;
  latencyCount: number;
  latencySumUs: number;
  latencyMaxMs: number | null;
  /**
   * Histogram as [bucket, count, bucket, count, …] in arrival order: a minute of one key holds a
   * handful of latencies, for which a linear scan beats a Map (and makes no garbage).
   */
  hist: number[];
}

/** A batch's rollup rows of every resolution and grain, for upsertRollups. */
export interface RollupRows {
  source: string;
  rows: number;
  copies: RollupCopy[];
  /** The hour and day buckets given parts (for compaction), epoch ms. */
  dirty: { table: 'rollups_1h' | 'rollups_1d'; bucketMs: number }[];
  sketches: SketchPart[];
}

/**
 * What one row of a narrow rollup (per route, or per source) counts. Its histogram is a Map: the
 * row of a busy hour holds hundreds of buckets, merged from many finer rows.
 */
interface NarrowAggregate extends Omit<RollupValues, 'method' | 'statusCode' | 'level'> {
  hist: Map<number, number>;
}

/** Narrow aggregates by bucket and route (null for the per-source grain, which has no route). */
class NarrowIndex {
  private readonly byKey = new Map<number, Map<string | null, NarrowAggregate>>();

  constructor(private readonly source: string) {}

  get(bucketMs: number, route: string | null): NarrowAggregate {
    let byRoute = this.byKey.get(bucketMs);
    if (byRoute === undefined) this.byKey.set(bucketMs, (byRoute = new Map<string | null, NarrowAggregate>()));
    let a = byRoute.get(route);
    if (a === undefined) {
      a = {
        bucketMs, source: this.source, route, records: 0, requests: 0, errors: 0, clientErrors: 0, bytesSent: 0,
        latencyCount: 0, latencySumUs: 0, latencyMaxMs: null, hist: new Map(),
      };
      byRoute.set(route, a);
    }
    return a;
  }

  *values(): Generator<NarrowAggregate> {
    for (const byRoute of this.byKey.values()) yield* byRoute.values();
  }
}

/** Adds a full-key aggregate (its status decides requests, errors and client errors) into a narrow one. */
function addFull(a: NarrowAggregate, m: Aggregate): void {
  a.records += m.records;
  if (m.statusCode !== null) {
    a.requests += m.records;
    if (m.statusCode >= 500) a.errors += m.records;
    else if (m.statusCode >= 400) a.clientErrors += m.records;
  }
  addLatency(a, m);
  const hist = m.hist;
  for (let i = 0; i < hist.length; i += 2) a.hist.set(hist[i]!, (a.hist.get(hist[i]!) ?? 0) + hist[i + 1]!);
}

/** Adds a finer narrow aggregate into a coarser one. */
function addNarrow(a: NarrowAggregate, n: NarrowAggregate): void {
  a.records += n.records;
  a.requests += n.requests;
  a.errors += n.errors;
  a.clientErrors += n.clientErrors;
  addLatency(a, n);
  for (const [b, c] of n.hist) a.hist.set(b, (a.hist.get(b) ?? 0) + c);
}

/** Bytes and the latency count, sum and maximum of `from` added into `a`. */
function addLatency(a: Aggregate | NarrowAggregate, from: Aggregate | NarrowAggregate): void {
  a.bytesSent += from.bytesSent;
  a.latencyCount += from.latencyCount;
  a.latencySumUs += from.latencySumUs;
  if (from.latencyMaxMs !== null && (a.latencyMaxMs === null || from.latencyMaxMs > a.latencyMaxMs)) a.latencyMaxMs = from.latencyMaxMs;
}

/**
 * Aggregates by bucket → route → (method, status, level) as one small integer: finding a record's
 * aggregate builds no key string, and makes no garbage once the aggregate exists.
 */
class AggregateIndex {
  readonly byBucket = new Map<number, Map<string | null, Map<number, Aggregate>>>();
  private readonly methodIds = new Map<string | null, number>();
  private lastBucketMs = NaN;
  private lastByRoute: Map<string | null, Map<number, Aggregate>> | undefined;
  size = 0;

  constructor(private readonly source: string) {}

  /** Status codes have three digits (1000 stands for none); three levels. */
  key(method: string | null, statusCode: number | null, level: LogLevel): number {
    let methodId = this.methodIds.get(method);
    if (methodId === undefined) this.methodIds.set(method, (methodId = this.methodIds.size));
    return (methodId * 1001 + (statusCode ?? 1000)) * 3 + LEVEL_NUMBER[level];
  }

  /** The aggregate of a key, created empty (from `like`'s key fields) the first time. */
  get(bucketMs: number, route: string | null, key: number, like: Pick<Aggregate, 'method' | 'statusCode' | 'level'>): Aggregate {
    // Records come in time order: most fall in the same bucket as the one before.
    let byRoute = bucketMs === this.lastBucketMs ? this.lastByRoute : this.byBucket.get(bucketMs);
    if (byRoute === undefined) this.byBucket.set(bucketMs, (byRoute = new Map<string | null, Map<number, Aggregate>>()));
    this.lastBucketMs = bucketMs;
    this.lastByRoute = byRoute;
    let byKey = byRoute.get(route);
    if (byKey === undefined) byRoute.set(route, (byKey = new Map<number, Aggregate>()));
    let a = byKey.get(key);
    if (a === undefined) {
      a = {
        bucketMs, source: this.source, route, key, method: like.method, statusCode: like.statusCode, level: like.level,
        records: 0, bytesSent: 0, latencyCount: 0, latencySumUs: 0, latencyMaxMs: null, hist: [],
      };
      byKey.set(key, a);
      this.size++;
    }
    return a;
  }

  *values(): Generator<Aggregate> {
    for (const byRoute of this.byBucket.values()) for (const byKey of byRoute.values()) yield* byKey.values();
  }
}

/**
 * Aggregates the records of one batch (one source) into rollup rows. Only the minutes are counted
 * per record; hours and days are summed from the minutes when the batch is taken.
 */
export class RollupBuilder {
  private minutes: AggregateIndex;
  /** Distinct-client sketch per hour. */
  private hourSketches = new Map<number, Uint8Array>();
  private lastHour = NaN;
  private lastSketch: Uint8Array | undefined;
  /** The first and last minute of the rows taken so far (see coveredMinute). */
  private coveredFrom = Infinity;
  private coveredTo = -Infinity;

  constructor(
    private readonly source: string,
    private readonly pool?: BufferPool,
  ) {
    this.minutes = new AggregateIndex(source);
  }

  add(r: RollupInput, route: string | null): void {
    if (r.clientIp !== null) {
      const hour = floorTo(r.timestamp, 3_600_000);
      let sketch = hour === this.lastHour ? this.lastSketch : this.hourSketches.get(hour);
      if (sketch === undefined) this.hourSketches.set(hour, (sketch = new Uint8Array(HLL_REGISTERS)));
      this.lastHour = hour;
      this.lastSketch = sketch;
      hllAdd(sketch, r.clientIp);
    }
    const a = this.minutes.get(floorTo(r.timestamp, 60_000), route, this.minutes.key(r.method, r.statusCode, r.level), r);
    a.records++;
    if (r.bytesSent !== null) a.bytesSent += r.bytesSent;
    if (r.latencyMs !== null) {
      a.latencyCount++;
      a.latencySumUs += Math.round(r.latencyMs * 1000);
      if (a.latencyMaxMs === null || r.latencyMs > a.latencyMaxMs) a.latencyMaxMs = r.latencyMs;
      addToHist(a.hist, bucketIndex(r.latencyMs), 1);
    }
  }

  /** The batch's rows of every resolution (null when there are none); the builder starts empty again. */
  take(): RollupRows | null {
    const minutes = this.minutes;
    const hourSketches = this.hourSketches;
    this.minutes = new AggregateIndex(this.source);
    this.hourSketches = new Map();
    this.lastHour = NaN;
    this.lastSketch = undefined;
    if (minutes.size === 0) return null;
    const out = new RollupCopies(this.pool);
    let rows = 0;
    const hours = new AggregateIndex(this.source);
    const days = new AggregateIndex(this.source);
    const sourceMinutes = new NarrowIndex(this.source);
    const routeHours = new NarrowIndex(this.source);
    let firstMinute = Infinity;
    let lastMinute = -Infinity;
    // Minute by minute and route by route, so that each narrow row is looked up once per group.
    for (const [minute, byRoute] of minutes.byBucket) {
      if (minute < firstMinute) firstMinute = minute;
      if (minute > lastMinute) lastMinute = minute;
      const merge = this.coveredMinute(minute);
      const hour = floorTo(minute, 3_600_000);
      const sourceMinute = sourceMinutes.get(minute, null);
      for (const [route, byKey] of byRoute) {
        const routeHour = routeHours.get(hour, route);
        for (const m of byKey.values()) {
          sortPairs(m.hist);
          out.add('rollups_1m', m, m.hist, merge);
          addInto(hours.get(hour, route, m.key, m), m);
          addFull(sourceMinute, m);
          addFull(routeHour, m);
          rows++;
        }
      }
    }
    // Hours and days of the full key carry no histogram.
    for (const h of hours.values()) {
      out.add('rollups_1h', h);
      addInto(days.get(floorTo(h.bucketMs, 86_400_000), h.route, h.key, h), h);
      rows++;
    }
    for (const d of days.values()) {
      out.add('rollups_1d', d);
      rows++;
    }
    // Route-days from route-hours; source-hours from source-minutes, source-days from those.
    const routeDays = new NarrowIndex(this.source);
    const sourceHours = new NarrowIndex(this.source);
    const sourceDays = new NarrowIndex(this.source);
    for (const rh of routeHours.values()) addNarrow(routeDays.get(floorTo(rh.bucketMs, 86_400_000), rh.route), rh);
    for (const sm of sourceMinutes.values()) addNarrow(sourceHours.get(floorTo(sm.bucketMs, 3_600_000), null), sm);
    for (const sh of sourceHours.values()) addNarrow(sourceDays.get(floorTo(sh.bucketMs, 86_400_000), null), sh);
    const narrow: [NarrowTable, NarrowIndex][] = [
      [NARROW_ROLLUPS.route.rollups_1h, routeHours], [NARROW_ROLLUPS.route.rollups_1d, routeDays],
      [NARROW_ROLLUPS.source.rollups_1h, sourceHours], [NARROW_ROLLUPS.source.rollups_1d, sourceDays],
    ];
    for (const [table, index] of narrow) for (const a of index.values()) out.add(table, a, sortedPairs(a.hist));
    for (const a of sourceMinutes.values()) out.add(NARROW_ROLLUPS.source.rollups_1m, a, sortedPairs(a.hist), this.coveredMinute(a.bucketMs));
    this.coveredFrom = Math.min(this.coveredFrom, firstMinute);
    this.coveredTo = Math.max(this.coveredTo, lastMinute);
    const sketches: SketchPart[] = [];
    const daySketches = new Map<number, Uint8Array>();
    for (const [hour, registers] of hourSketches) {
      sketches.push({ table: 'client_sketches_1h', bucketMs: hour, registers });
      const day = floorTo(hour, 86_400_000);
      let d = daySketches.get(day);
      if (d === undefined) daySketches.set(day, (d = new Uint8Array(HLL_REGISTERS)));
      hllMerge(d, registers);
    }
    for (const [day, registers] of daySketches) sketches.push({ table: 'client_sketches_1d', bucketMs: day, registers });
    const dirty = [
      ...[...hours.byBucket.keys()].map((bucketMs) => ({ table: 'rollups_1h' as const, bucketMs })),
      ...[...days.byBucket.keys()].map((bucketMs) => ({ table: 'rollups_1d' as const, bucketMs })),
    ];
    return { source: this.source, rows, copies: out.finish(), dirty, sketches };
  }

  /**
   * Whether an earlier take() may have written rows of this minute. Records mostly come in time
   * order, so the span of the minutes taken so far is a close bound: a batch's first minute, which
   * the batch before it ended in, is merged; the rest are new. Out-of-order records inside the span
   * are merged too, which is only slower.
   */
  private coveredMinute(minuteMs: number): boolean {
    return minuteMs >= this.coveredFrom && minuteMs <= this.coveredTo;
  }
}

/** The per-route and per-source tables. */
type NarrowTable = Exclude<RollupTableName, RollupTable>;

/** A narrow row's histogram as [bucket, count, …] pairs, sorted by bucket. */
function sortedPairs(hist: Map<number, number>): number[] {
  const pairs: number[] = [];
  for (const b of [...hist.keys()].sort((x, y) => x - y)) pairs.push(b, hist.get(b)!);
  return pairs;
}

/** Adds a finer aggregate into a coarser one of the same key (but not its histogram: only minutes keep one at this key). */
function addInto(a: Aggregate, m: Aggregate): void {
  a.records += m.records;
  addLatency(a, m);
}

function addToHist(hist: number[], bucket: number, n: number): void {
  for (let i = 0; i < hist.length; i += 2) {
    if (hist[i] === bucket) {
      hist[i + 1]! += n;
      return;
    }
  }
  hist.push(bucket, n);
}

const LEVEL_NUMBER: Record<LogLevel, number> = { INFO: 0, WARN: 1, ERROR: 2 };

/** Sorts [bucket, count, …] pairs by bucket, in place (insertion sort: a few pairs per minute). */
function sortPairs(hist: number[]): void {
  for (let i = 2; i < hist.length; i += 2) {
    const bucket = hist[i]!;
    const count = hist[i + 1]!;
    let j = i - 2;
    for (; j >= 0 && hist[j]! > bucket; j -= 2) {
      hist[j + 2] = hist[j]!;
      hist[j + 3] = hist[j + 1]!;
    }
    hist[j + 2] = bucket;
    hist[j + 3] = count;
  }
}

/**
 * Adds a batch's rollup rows to the stored ones, inside the batch's transaction (rollups and raw rows
 * commit together), by binary COPY straight into each table. Hours and days are appended as parts,
 * and their buckets marked for compactRollups. Minutes keep one row per key: the minutes the
 * builder had not covered before are inserted, under a savepoint; if a key is stored already
 * (another job wrote the same minutes, or this one before a restart) the savepoint is undone and
 * they are upserted like the covered ones, which go through a staging table: new keys inserted,
 * stored ones summed, histograms merged. A rebuild calls this several times in one transaction.
 */
export async function upsertRollups(tx: Queryable, rows: RollupRows): Promise<void> {
  const merged: RollupCopy[] = [];
  const inserted: RollupCopy[] = [];
  for (const c of rows.copies) {
    if (ROLLUP_TABLES[c.table].upsertConstraint === null) await tx.copyFrom(c.table, rollupColumns(c.table), c.data, 'binary');
    else (c.merge ? merged : inserted).push(c);
  }
  if (inserted.length > 0) {
    await tx.exec('SAVEPOINT rollup_minutes');
    try {
      for (const c of inserted) await tx.copyFrom(c.table, rollupColumns(c.table), c.data, 'binary');
      await tx.exec('RELEASE SAVEPOINT rollup_minutes');
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      await tx.exec('ROLLBACK TO SAVEPOINT rollup_minutes');
      merged.push(...inserted);
    }
  }
  for (const c of merged) await mergeMinutes(tx, c.table, c.data);
  if (rows.dirty.length > 0) {
    await tx.query(
      `INSERT INTO rollup_dirty (rollup_table, bucket) SELECT * FROM unnest($1::text[], $2::timestamptz[])
       ON CONFLICT (rollup_table, bucket) DO UPDATE SET last_marked_at = now()`,
      [rows.dirty.map((d) => d.table), rows.dirty.map((d) => new Date(d.bucketMs).toISOString())],
    );
  }
  for (const table of Object.values(SKETCH_TABLES)) {
    const parts = rows.sketches.filter((p) => p.table === table);
    if (parts.length === 0) continue;
    await insertSketches(tx, table, parts.map((p) => ({ bucket: new Date(p.bucketMs).toISOString(), source: rows.source, registers: p.registers })));
  }
}

const UNIQUE_VIOLATION = '23505';

/** Upserts minute rows: COPY into a session-local staging table (no WAL, emptied at commit), then INSERT … ON CONFLICT. */
async function mergeMinutes(tx: Queryable, table: RollupTableName, data: Uint8Array): Promise<void> {
  const stage = `${table}_stage`;
  await tx.exec(`SET LOCAL client_min_messages = warning;
    CREATE TEMP TABLE IF NOT EXISTS ${stage} (LIKE ${table}) ON COMMIT DELETE ROWS`);
  await tx.copyFrom(stage, rollupColumns(table), data, 'binary');
  await tx.query(upsertSql(table, stage));
  await tx.exec(`DELETE FROM ${stage}`);
}

const SKETCHES_PER_STATEMENT = 64;

/** Inserts client sketches (as parts, or as the merged sketch of a bucket); registers go as hex text, which both engines decode. */
export async function insertSketches(
  tx: Queryable, table: string, sketches: { bucket: string; source: string; registers: Uint8Array }[],
): Promise<void> {
  // A few at a time: a batch of old logs holds a sketch per hour of years (9,500 × 8 KB of hex took
  // one 20 s statement on PGlite, which runs in the server's thread and blocked it all along).
  for (let i = 0; i < sketches.length; i += SKETCHES_PER_STATEMENT) {
    const some = sketches.slice(i, i + SKETCHES_PER_STATEMENT);
    await tx.query(
      `INSERT INTO ${table} (bucket, source, registers)
       SELECT bucket, source, decode(hex, 'hex') FROM unnest($1::timestamptz[], $2::text[], $3::text[]) AS s(bucket, source, hex)`,
      [some.map((s) => s.bucket), some.map((s) => s.source), some.map((s) => Buffer.from(s.registers).toString('hex'))],
    );
  }
}

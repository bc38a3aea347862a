/**
 * The two questions the benchmark asks, through the API and as plain SQL. The SQL side calls the
 * same searchLogs() the route calls, so both sides run exactly the same statement; the difference
 * is HTTP, validation and JSON.
 */
import type { Db, Queryable } from '../src/db/db.js';
import { recordFilterOf, type RecordFilter } from '../src/query/recordFilter.js';
import { searchLogs } from '../src/search/searchLogs.js';
import type { BenchFile } from './dataset.js';
import { BENCH_HEADERS } from './serverProcess.js';
import { elapsedMs, sleep, timeRuns } from './stats.js';

export const PAGE_LIMIT = 50;
const HOUR_MS = 3_600_000;

export type QueryName = 'range_5xx' | 'rare_q';

export interface BenchQuery {
  name: QueryName;
  label: string;
  /** Query string of GET /logs. */
  params: Record<string, string>;
  /** The same filter as the route builds it from `params`. */
  filter: RecordFilter;
}

/** A time range (the middle third of the file, whole hours) with status_code=5xx; and the rare needle alone. */
export function benchQueries(file: BenchFile): BenchQuery[] {
  const span = file.lastTimeMs - file.firstTimeMs;
  const floorHour = (ms: number): number => Math.floor(ms / HOUR_MS) * HOUR_MS;
  const start = new Date(floorHour(file.firstTimeMs + span / 3)).toISOString();
  const end = new Date(Math.max(floorHour(file.firstTimeMs + (2 * span) / 3), floorHour(file.firstTimeMs + span / 3) + HOUR_MS)).toISOString();
  return [
    {
      name: 'range_5xx',
      label: `time range + 5xx (${start.slice(0, 16)}Z..${end.slice(0, 16)}Z)`,
      params: { start_date: start, end_date: end, status_code: '5xx', limit: String(PAGE_LIMIT) },
      filter: recordFilterOf({ start_date: start, end_date: end, status_code: '5xx' }),
    },
    {
      name: 'rare_q',
      label: `rare substring q=${file.needle} (${file.markerLines.length} lines)`,
      params: { q: file.needle, limit: String(PAGE_LIMIT) },
      filter: recordFilterOf({ q: file.needle }),
    },
  ];
}

/** GET /logs; resolves with the number of items once the whole body is read. */
export async function apiSearch(url: string, q: BenchQuery): Promise<number> {
  const res = await fetch(`${url}/logs?${new URLSearchParams(q.params).toString()}`, { headers: BENCH_HEADERS });
  const body = (await res.json()) as { items?: unknown[]; detail?: string };
  if (!res.ok) throw new Error(`GET /logs (${q.name}) answered ${res.status}: ${body.detail ?? ''}`);
  return body.items?.length ?? 0;
}

export interface TimedQuery {
  samplesMs: number[];
  /** Items (API, SQL page) or the count (count(*)) of the last run: a check that the answer is right. */
  rows: number;
}

export async function timeApi(url: string, q: BenchQuery, runs: number, warmup = 3): Promise<TimedQuery> {
  let rows = 0;
  for (let i = 0; i < warmup; i++) await apiSearch(url, q);
  const samplesMs = await timeRuns(runs, async () => (rows = await apiSearch(url, q)));
  return { samplesMs, rows };
}

export async function timeSql(db: Db, q: BenchQuery, runs: number, warmup = 3): Promise<TimedQuery> {
  let rows = 0;
  const once = async (): Promise<void> => {
    rows = (await searchLogs(db, q.filter, { limit: PAGE_LIMIT })).items.length;
  };
  for (let i = 0; i < warmup; i++) await once();
  return { samplesMs: await timeRuns(runs, once), rows };
}

/**
 * `SELECT count(*) … WHERE raw_log ILIKE '%needle%'`: as the planner likes it (the trigram indexes,
 * once built), and forced to a sequential scan, the "plain ILIKE" of the reference point.
 */
export async function timeIlikeCount(db: Db, needle: string, runs: number, mode: 'planner' | 'seqscan'): Promise<TimedQuery> {
  let rows = 0;
  const samplesMs = await db.session(async (s) => {
    if (mode === 'seqscan') await s.exec('SET enable_bitmapscan = off; SET enable_indexscan = off');
    try {
      return await timeRuns(runs, async () => {
        const res = await s.query<{ n: number }>(`SELECT count(*)::int AS n FROM logs WHERE raw_log ILIKE '%' || $1 || '%'`, [needle]);
        rows = res.rows[0]?.n ?? 0;
      });
    } finally {
      // PGlite has one session: put the planner back as it was.
      if (mode === 'seqscan') await s.exec('RESET enable_bitmapscan; RESET enable_indexscan');
    }
  });
  return { samplesMs, rows };
}

/**
 * EXPLAIN ANALYZE of the first statement over `logs` that searchLogs runs (after it reads the
 * partitions to walk from log_partitions), kept in the JSON results to explain a figure.
 */
export async function explainSearch(db: Db, q: BenchQuery): Promise<string> {
  const captured: { sql: string; params: readonly unknown[] }[] = [];
  const recorder: Queryable = {
    async query<R>(sql: string, params?: readonly unknown[]) {
      captured.push({ sql, params: params ?? [] });
      return db.query<R>(sql, params);
    },
    copyFrom: () => Promise.reject(new Error('not used')),
    exec: () => Promise.reject(new Error('not used')),
  };
  await searchLogs(recorder, q.filter, { limit: PAGE_LIMIT });
  const stmt = captured.find((c) => /\bFROM logs\b/.test(c.sql));
  if (!stmt) return '';
  const res = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${stmt.sql}`, stmt.params);
  return res.rows.map((r) => r['QUERY PLAN']).join('\n');
}

/** GET /logs in a loop while ingestion runs, one query at a time with a pause between them. */
export class QueryLoop {
  private stopped = false;
  private readonly done: Promise<void>;
  readonly samplesMs: Record<QueryName, number[]> = { range_5xx: [], rare_q: [] };
  errors: string[] = [];

  constructor(url: string, queries: BenchQuery[], pauseMs: number) {
    this.done = (async () => {
      while (!this.stopped) {
        for (const q of queries) {
          if (this.stopped) break;
          const t0 = performance.now();
          try {
            await apiSearch(url, q);
            this.samplesMs[q.name].push(elapsedMs(t0));
          } catch (err) {
            if (this.errors.length < 20) this.errors.push(err instanceof Error ? err.message : String(err));
          }
          await sleep(pauseMs);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

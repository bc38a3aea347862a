/**
 * Everything measured on one backend, in two ingestions of the same file into fresh stores:
 * 1. ingestion alone (nothing else asks the server anything): the end-to-end throughput;
 * 2. ingestion while GET /logs is asked in a loop, then the same questions once the search indexes
 *    are built, then (server stopped) the same questions as SQL and the COPY baseline on that store.
 * Two runs because on two cores the searches take CPU from ingestion: one figure would mix both.
 */
import path from 'node:path';
import type { DbKind } from '../src/db/db.js';
import { createFreshStore } from './backends.js';
import { measureCopyBaseline, type CopyBaseline, type CopyFile } from './baselines.js';
import type { BenchFile } from './dataset.js';
import { ingestThroughServer, type IngestFigures } from './ingestRun.js';
import { explainSearch, PAGE_LIMIT, timeIlikeCount, timeSql, type BenchQuery, type QueryName, type TimedQuery } from './queries.js';
import { ratio, summarize, type Summary } from './stats.js';

/** A forced sequential scan of 1M+ rows takes seconds: a few runs are enough for its median. */
const SEQSCAN_RUNS = 5;

export interface BenchContext {
  repoRoot: string;
  outDir: string;
  scratchRoot: string;
  adminUrl: string;
  runStamp: string;
  file: BenchFile;
  queries: BenchQuery[];
  copyFile: CopyFile;
  serverEnv: Record<string, string>;
  runs: number;
  duringPauseMs: number;
  jobTimeoutMs: number;
  indexTimeoutMs: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Timed {
  summary: Summary | null;
  rows: number;
}

export interface QueryFigures {
  name: QueryName;
  label: string;
  during: Summary | null;
  api: Timed | null;
  sql: Timed;
  /** p50 API ÷ p50 SQL: what HTTP, validation and JSON add. */
  apiOverSql: number | null;
}

export interface BackendResult {
  kind: DbKind;
  /** Run 1: ingestion alone. */
  ingest: IngestFigures;
  /** Run 2: ingestion while GET /logs queries run. */
  ingestUnderSearch: IngestFigures;
  queries: QueryFigures[];
  duringErrors: string[];
  ilikeCount: { planner: Timed; seqscan: Timed };
  copyBaseline: CopyBaseline;
  /** End-to-end lines/s ÷ COPY rows/s on the same backend. */
  e2eOverCopy: number | null;
  explain: Partial<Record<QueryName, string>>;
  checks: Check[];
  serverLogs: string[];
}

const timed = (t: TimedQuery | undefined): Timed | null => (t ? { summary: summarize(t.samplesMs), rows: t.rows } : null);

/** Run 1: the file into a fresh store with nothing else going on; waits for the search indexes too. */
async function ingestAlone(kind: DbKind, ctx: BenchContext, logFile: string): Promise<IngestFigures> {
  const store = await createFreshStore(kind, { scratchRoot: ctx.scratchRoot, adminUrl: ctx.adminUrl });
  try {
    const { ingest } = await ingestThroughServer({
      repoRoot: ctx.repoRoot, store, file: ctx.file, logFile, serverEnv: ctx.serverEnv,
      indexTimeoutMs: ctx.indexTimeoutMs, jobTimeoutMs: ctx.jobTimeoutMs,
    });
    return ingest;
  } finally {
    await store.dispose();
  }
}

export async function runBackend(kind: DbKind, ctx: BenchContext, log: (msg: string) => void): Promise<BackendResult> {
  const serverLogs = [1, 2].map((n) => path.join(ctx.outDir, `server-${kind}-${ctx.runStamp}-run${n}.log`));
  log(`${kind}, run 1: ingesting ${ctx.file.lines} lines, nothing else running (log: ${serverLogs[0]!})`);
  const ingest = await ingestAlone(kind, ctx, serverLogs[0]!);
  log(`${kind}, run 1: ${ingest.linesPerSec ?? '?'} lines/s end to end; search indexes ${ingest.searchIndexingS ?? '?'} s after success`);

  const store = await createFreshStore(kind, { scratchRoot: ctx.scratchRoot, adminUrl: ctx.adminUrl });
  try {
    log(`${kind}, run 2: ingesting again while GET /logs runs every ${ctx.duringPauseMs} ms (log: ${serverLogs[1]!})`);
    const { ingest: ingestUnderSearch, queries } = await ingestThroughServer({
      repoRoot: ctx.repoRoot, store, file: ctx.file, logFile: serverLogs[1]!, serverEnv: ctx.serverEnv,
      queries: { list: ctx.queries, runs: ctx.runs, duringPauseMs: ctx.duringPauseMs },
      indexTimeoutMs: ctx.indexTimeoutMs, jobTimeoutMs: ctx.jobTimeoutMs,
    });
    log(`${kind}, run 2: ${ingestUnderSearch.linesPerSec ?? '?'} lines/s; GET /logs after indexing done; SQL and COPY baseline next`);

    const db = await store.openDirect();
    try {
      const figures: QueryFigures[] = [];
      const explain: Partial<Record<QueryName, string>> = {};
      for (const q of ctx.queries) {
        const sql = timed(await timeSql(db, q, ctx.runs))!;
        const api = timed(queries.after[q.name]);
        figures.push({
          name: q.name, label: q.label, during: summarize(queries.during[q.name]), api, sql,
          apiOverSql: ratio(api?.summary?.p50, sql.summary?.p50),
        });
        explain[q.name] = await explainSearch(db, q);
      }
      const planner = timed(await timeIlikeCount(db, ctx.file.needle, ctx.runs, 'planner'))!;
      const seqscan = timed(await timeIlikeCount(db, ctx.file.needle, Math.min(SEQSCAN_RUNS, ctx.runs), 'seqscan'))!;
      log(`${kind}: COPY baseline (${ctx.copyFile.rows} rows)`);
      const copyBaseline = await measureCopyBaseline(db, ctx.copyFile);
      return {
        kind, ingest, ingestUnderSearch, queries: figures, duringErrors: queries.duringErrors, ilikeCount: { planner, seqscan }, copyBaseline,
        e2eOverCopy: ratio(ingest.linesPerSec, copyBaseline.rowsPerSec), explain,
        checks: checkAnswers(ctx, [ingest, ingestUnderSearch], figures, planner, seqscan), serverLogs,
      };
    } finally {
      await db.close();
    }
  } finally {
    await store.dispose();
  }
}

/** The figures only mean something if the answers are right. */
function checkAnswers(ctx: BenchContext, runs: IngestFigures[], figures: QueryFigures[], planner: Timed, seqscan: Timed): Check[] {
  const markers = ctx.file.markerLines.length;
  const checks: Check[] = runs.map((ingest, i) => ({
    name: `run ${i + 1}: all lines stored`,
    ok: ingest.linesIngested === ctx.file.lines && ingest.linesRejected === 0,
    detail: `${ingest.linesIngested} ingested, ${ingest.linesRejected} rejected of ${ctx.file.lines}`,
  }));
  checks.push(
    { name: 'ILIKE count finds the markers', ok: planner.rows === markers && seqscan.rows === markers, detail: `${planner.rows}/${seqscan.rows} of ${markers}` },
  );
  for (const f of figures) {
    const expected = f.name === 'rare_q' ? markers : PAGE_LIMIT;
    checks.push({
      name: `${f.name}: API and SQL return ${expected} rows`,
      ok: f.api?.rows === expected && f.sql.rows === expected,
      detail: `API ${f.api?.rows ?? '-'}, SQL ${f.sql.rows}`,
    });
  }
  return checks;
}

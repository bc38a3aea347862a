/**
 * Finding the record the database refuses (src/db/rowErrors.ts) without failing the job or losing its
 * neighbours. A batch is one transaction, so one refused row fails all of it. The runner then has the
 * worker parse the failed batch's byte range again, from the job's checkpoint, in smaller batches:
 * first of ISOLATION_BATCH_ROWS rows, a small batch that fails again in quarters, down to single
 * records (each with its text, src/ingest/batch.ts `records`). A single record still refused is
 * committed as a rejected line (code `refused_by_database`, the database's error as its detail), in
 * the same transaction as the checkpoint and counts, so exactly-once holds throughout. The windows
 * live in the runner's memory only: after a crash the full batch fails again and isolation starts
 * over, which is slower, never wrong.
 */
import type { RejectionCode } from '../domain/rejection.js';
import type { BatchMessage } from './batch.js';
import { BatchBuilder } from './batch.js';

/** Rows of the batches a failed full batch is re-run in. */
export const ISOLATION_BATCH_ROWS = 256;
/**
 * A failed small batch is re-run in batches of a quarter its size, down to single records: about 20
 * commits and 5 passes find one refused row among 20,000. Straight to single records would commit
 * each of the 256 alone (a batch transaction is a dozen statements); halving would take twice the passes.
 */
const ISOLATION_SPLIT = 4;

/** Up to `untilByte` (a checkpoint the failed batch reached), the worker cuts batches of at most `rows` rows. */
export interface IsolationWindow {
  untilByte: number;
  rows: number;
}

/** Cutting rule for a batch starting at byte `at`: the smallest row limit of the windows around it, and the nearest end. */
export function isolationLimit(windows: readonly IsolationWindow[], at: number): IsolationWindow | undefined {
  let limit: IsolationWindow | undefined;
  for (const w of windows) {
    if (w.untilByte <= at) continue;
    limit = { untilByte: Math.min(limit?.untilByte ?? Infinity, w.untilByte), rows: Math.min(limit?.rows ?? Infinity, w.rows) };
  }
  return limit;
}

/**
 * The windows after batch `b`, starting at byte `from`, failed with a row-level error: those still
 * ahead, plus the failed batch's range at the next finer size (a one-row batch is re-run isolated, to
 * get its record's text). Undefined when there is nothing to isolate: the refusal is then not about a record.
 */
export function narrowIsolation(windows: readonly IsolationWindow[], from: number, b: BatchMessage): IsolationWindow[] | undefined {
  const rows = b.logRows + b.rejectRows;
  // A lone row of an isolated batch that is not a stored record (a rejected line): nothing to isolate.
  if (rows === 0 || (rows === 1 && b.records !== undefined)) return undefined;
  const ahead = windows.filter((w) => w.untilByte > from);
  const finer = rows > ISOLATION_BATCH_ROWS ? ISOLATION_BATCH_ROWS : Math.max(1, Math.floor(rows / ISOLATION_SPLIT));
  return [...ahead, { untilByte: b.bytesProcessed, rows: finer }];
}

/** The one record of an isolated batch, when it holds exactly one stored record and nothing else to write. */
export function singleRecord(b: BatchMessage): NonNullable<BatchMessage['records']>[number] | undefined {
  return b.logRows === 1 && b.rejectRows === 0 && b.records?.length === 1 ? b.records[0] : undefined;
}

/**
 * Batch `b` (one record the database refused) as a rejected line instead: the same checkpoint and
 * skipped lines, the record's lines counted as rejected, nothing for the rollups.
 */
export function asRejectedLine(b: BatchMessage, jobId: string, source: string, code: RejectionCode, detail: string): BatchMessage {
  const record = singleRecord(b);
  if (!record) throw new Error('asRejectedLine needs a batch of one isolated record');
  const builder = new BatchBuilder(jobId, source);
  builder.addRejected(record.lineNo, record.lineCount, code, detail, record.raw);
  builder.addSkipped(b.linesSkipped);
  const format = { format: b.format, confidence: b.formatConfidence, warnings: b.formatWarnings };
  return builder.take(format, { bytesProcessed: b.bytesProcessed, linesProcessed: b.linesProcessed }, b.final);
}

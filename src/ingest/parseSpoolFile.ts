import fs from 'node:fs';
import { LineFramer, RecordAssembler, createRecordParser, type FormatRequest, type FramedRecord } from '../parse/index.js';
import { BatchBuilder, type BatchMessage } from './batch.js';
import { RouteNormaliser, type RouteRule } from '../parse/routes.js';
import { BufferPool } from './binaryCopy.js';
import { anchorOf, implausibleTime, implausibleTimeDetail, type TimeBounds } from './plausibleTime.js';
import { wantedPartition } from '../db/partitionPlan.js';
import { isolationLimit, type IsolationWindow } from './isolation.js';
import { isBlank, sampleLines } from './sampleLines.js';

export interface ParseFileInput {
  jobId: string;
  source: string;
  spoolPath: string;
  format: FormatRequest;
  /** Resume point (the job's checkpoint): byte offset and the number of lines before it. */
  startOffset: number;
  linesBefore: number;
  batchRows: number;
  maxLineBytes: number;
  /** User route rules (config first, then the API's), tried before the built-in normalisation. */
  routeRules: RouteRule[];
  /** Byte ranges to cut into small batches that carry their records' text (src/ingest/isolation.ts). */
  isolation?: IsolationWindow[];
}

const CHUNK_BYTES = 1 << 20;
/**
 * The first batch of a run is cut after at most this many rows (checked after each chunk, so in
 * practice after the first chunk): the database starts writing while the worker, still warming up,
 * parses the next full batch, and the job shows progress within a fraction of a second.
 */
const FIRST_BATCH_ROWS = 4_096;

/**
 * Frames, parses and encodes the spool file from the checkpoint on, handing each batch to `emit`
 * (which resolves once the batch may be forgotten). Every line ends up in exactly one of: a stored
 * record, a rejected line, or the skipped (empty) count, and each batch's checkpoint is the start of
 * the first line it does not account for, so a resume from it neither loses nor repeats a line.
 * Batch buffers come from `pool`, where the caller returns them once written.
 */
export async function parseSpoolFile(
  input: ParseFileInput,
  emit: (batch: BatchMessage) => Promise<void>,
  pool = new BufferPool(),
): Promise<void> {
  const fd = fs.openSync(input.spoolPath, 'r');
  try {
    // Detection sees lines spread through the file; both it and the anchor see the same lines on every attempt.
    const sample = sampleLines(fd, input.maxLineBytes);
    const parser = createRecordParser(input.format, [...sample.head, ...sample.spread]);
    // The job's anchor: where the file's time is, from the same head lines on every attempt, so a
    // resumed job judges the lines after its checkpoint against the same anchor as a run that had not
    // stopped (only "the future" moves, with the wall clock). Exactly once needs no more than that:
    // each line is decided by the one batch that commits it, with the checkpoint past it, and a line
    // before the checkpoint is never judged again.
    const sampleTimes: number[] = [];
    for (const line of sample.head) {
      const r = parser.parse(line);
      if (r.ok) sampleTimes.push(r.record.timestamp);
    }
    const bounds: TimeBounds = { anchorMs: anchorOf(sampleTimes), nowMs: Date.now() };
    const framer = new LineFramer({ startOffset: input.startOffset, startLineNo: input.linesBefore + 1, maxLineBytes: input.maxLineBytes });
    const assembler = new RecordAssembler((line) => parser.startsRecord(line));
    const batch = new BatchBuilder(
      input.jobId, input.source, new RouteNormaliser(input.routeRules), pool,
      (dayStartMs) => wantedPartition(dayStartMs, bounds.anchorMs, bounds.nowMs),
    );
    // Empty lines seen after the start of the record still pending in the assembler: they belong to
    // the batch that emits that record, since a checkpoint taken now resumes from the record's start.
    let skippedAfterPending = 0;
    let position = input.startOffset;
    // End of the last complete line handed out by the framer (it may hold a partial line).
    let framedUpTo = input.startOffset;
    let linesSeen = input.linesBefore;
    let firstBatch = true;
    // Inside an isolation window a batch is cut after every line that completes its row limit, and at
    // the window's end exactly (an earlier checkpoint, so a record boundary this run reaches too).
    const windows = input.isolation ?? [];
    let isolated = isolationLimit(windows, input.startOffset);
    batch.keepRecords = isolated !== undefined;

    const store = (records: FramedRecord[]): void => {
      for (const rec of records) {
        if (rec.tooLong) {
          batch.addRejected(rec.lineNo, rec.lineCount, 'line_too_long', `over ${input.maxLineBytes} bytes; the first ${input.maxLineBytes} are stored`, rec.text);
          continue;
        }
        const result = parser.parse(rec.text);
        if (!result.ok) {
          batch.addRejected(rec.lineNo, rec.lineCount, result.code, result.detail, rec.text);
          continue;
        }
        const implausible = implausibleTime(result.record.timestamp, bounds);
        if (implausible !== null) {
          const detail = implausibleTimeDetail(implausible, result.record.timestamp, bounds);
          batch.addRejected(rec.lineNo, rec.lineCount, implausible, detail, rec.text);
        }
        else batch.addRecord(result.record, rec.lineNo, rec.lineCount, rec.text);
      }
      if (records.length > 0) {
        batch.addSkipped(skippedAfterPending);
        skippedAfterPending = 0;
      }
    };

    const checkpointNow = (): { bytesProcessed: number; linesProcessed: number } => {
      const pending = assembler.pendingStart();
      return pending
        ? { bytesProcessed: pending.byteStart, linesProcessed: pending.lineNo - 1 }
        : { bytesProcessed: framedUpTo, linesProcessed: linesSeen };
    };

    const cut = async (): Promise<void> => {
      const checkpoint = checkpointNow();
      await emit(batch.take(parser.detection, checkpoint, false));
      if (windows.length === 0) return;
      isolated = isolationLimit(windows, checkpoint.bytesProcessed);
      batch.keepRecords = isolated !== undefined;
    };

    const consume = async (lines: ReturnType<LineFramer['push']>): Promise<void> => {
      for (const line of lines) {
        linesSeen = line.lineNo;
        framedUpTo = line.byteEnd;
        if (!line.tooLong && isBlank(line.text)) {
          if (assembler.pendingStart()) skippedAfterPending++;
          else batch.addSkipped(1);
        } else {
          store(assembler.push(line));
        }
        if (isolated && (batch.rows >= isolated.rows || checkpointNow().bytesProcessed >= isolated.untilByte)) await cut();
      }
    };

    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      const n = fs.readSync(fd, chunk, 0, CHUNK_BYTES, position);
      if (n === 0) break;
      // "The future" is judged against the wall clock as the lines are read (a job may run for hours).
      bounds.nowMs = Date.now();
      position += n;
      await consume(framer.push(n === CHUNK_BYTES ? chunk : chunk.subarray(0, n)));
      if (batch.rows >= (firstBatch ? Math.min(FIRST_BATCH_ROWS, input.batchRows) : input.batchRows)) {
        await cut();
        firstBatch = false;
      }
    }
    await consume(framer.end());
    store(assembler.flush());
    batch.addSkipped(skippedAfterPending);
    await emit(batch.take(parser.detection, { bytesProcessed: position, linesProcessed: linesSeen }, true));
  } finally {
    fs.closeSync(fd);
  }
}

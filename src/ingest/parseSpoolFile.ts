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
  /**
   * A live segment (src/live/journal.ts): the file grows while it is parsed. At its end the lines
   * parsed so far are cut into a batch (so they are searchable within a poll), then the file is read
   * again every `pollMs` until `sealedPath` exists and nothing more was appended. Once nothing has come
   * for `parkMs`, and all that came is committed, the parse ends without ending the job ('parked'): the
   * runner lets the thread go and takes the segment up again when it grows.
   */
  follow?: { sealedPath: string; pollMs: number; parkMs: number };
}

/** A live segment's first lines are awaited this long (or until this many bytes) before its format is detected. */
const FOLLOW_SAMPLE_WAIT_MS = 1_000;
const FOLLOW_SAMPLE_BYTES = 64 * 1024;
/**
 * A live segment's record whose next line has not come for this long is complete: an error log's
 * continuation lines follow their first at once, and a record held back longer would not be seen.
 */
const FOLLOW_RECORD_IDLE_MS = 1_000;
/**
 * A live segment's parse that has caught up cuts a batch at most this often (or at the batch size):
 * at a flood's rate a cut at every catch-up made batches of a poll's worth of lines, each paying a
 * transaction and its rollup upserts. Lines wait at most this much longer to be searchable.
 */
const FOLLOW_CUT_MS = 250;

const CHUNK_BYTES = 1 << 20;
/**
 * The first batch of a run is cut after at most this many rows (checked after each chunk, so in
 * practice after the first chunk): the database starts writing while the worker, still warming up,
 * parses the next full batch, and the job shows progress within a fraction of a second.
 */
const FIRST_BATCH_ROWS = 4_096;

/** How a parse ended: the file read to its end (the job is done), or a live segment parked while it waits for lines. */
export type ParseOutcome = 'ended' | 'parked';

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
): Promise<ParseOutcome> {
  const fd = fs.openSync(input.spoolPath, 'r');
  try {
    // A segment taken up again has its first lines already (and a parse that used them).
    if (input.follow && input.startOffset === 0) await awaitFirstLines(fd, input.follow);
    // Detection sees lines spread through the file; both it and the anchor see the same lines on every
    // attempt (a live segment's resumed run sees more of them; its source's format is usually known).
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

    let cutAt = input.startOffset;
    let lastCutMs = Date.now();
    const cut = async (): Promise<void> => {
      const checkpoint = checkpointNow();
      cutAt = checkpoint.bytesProcessed;
      lastCutMs = Date.now();
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

    let idleSince: number | null = null;
    // One chunk for the whole parse: the framer copies what it keeps of it (a line cut at its end), so
    // a read does not leave a MiB of external memory behind for the garbage collector.
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      // Sealed before this read: everything appended is on disk, so reading nothing is the end.
      const sealed = input.follow ? fs.existsSync(input.follow.sealedPath) : true;
      const n = fs.readSync(fd, chunk, 0, CHUNK_BYTES, position);
      if (n === 0 && sealed) break;
      if (n === 0) {
        // Caught up with a live segment: what is parsed goes to the database (at most every FOLLOW_CUT_MS), then wait for more.
        idleSince ??= Date.now();
        if (assembler.pendingStart() && Date.now() - idleSince >= FOLLOW_RECORD_IDLE_MS) {
          store(assembler.flush());
          batch.addSkipped(skippedAfterPending);
          skippedAfterPending = 0;
        }
        if (checkpointNow().bytesProcessed > cutAt && Date.now() - lastCutMs >= FOLLOW_CUT_MS) await cut();
        // A pause in the source: the buffers kept for the next batches go (a flood's are ~30 MB).
        else if (Date.now() - idleSince >= FOLLOW_RECORD_IDLE_MS) pool.clear();
        // Quiet for long: everything read is in a batch (no record is pending after FOLLOW_RECORD_IDLE_MS),
        // so the thread and its memory go; a torn last line is read again from the checkpoint.
        if (Date.now() - idleSince >= input.follow!.parkMs && !assembler.pendingStart() && checkpointNow().bytesProcessed === cutAt) return 'parked';
        await sleep(input.follow!.pollMs);
        continue;
      }
      idleSince = null;
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
    return 'ended';
  } finally {
    fs.closeSync(fd);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until a live segment holds enough to sample for format detection: FOLLOW_SAMPLE_BYTES, or
 * some lines and FOLLOW_SAMPLE_WAIT_MS since they came, or its seal.
 */
async function awaitFirstLines(fd: number, follow: NonNullable<ParseFileInput['follow']>): Promise<void> {
  let firstSeen: number | null = null;
  for (;;) {
    const sealed = fs.existsSync(follow.sealedPath);
    const size = fs.fstatSync(fd).size;
    if (sealed || size >= FOLLOW_SAMPLE_BYTES) return;
    if (size > 0) {
      firstSeen ??= Date.now();
      if (Date.now() - firstSeen >= FOLLOW_SAMPLE_WAIT_MS) return;
    }
    await sleep(follow.pollMs);
  }
}

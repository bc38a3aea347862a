import type { LogRecord } from '../domain/record.js';
import { ByteSink, copyField, isoTimestamp } from './copyText.js';

/** Columns written by COPY into `logs`, in the order BatchBuilder encodes them. */
export const LOG_COPY_COLUMNS = [
  'timestamp', 'log_level', 'status_code', 'method', 'endpoint', 'protocol', 'message', 'latency_ms',
  'client_ip', 'bytes_sent', 'user_agent', 'referer', 'host', 'source', 'job_id', 'line_no', 'line_count', 'raw_log',
] as const;

export const REJECT_COPY_COLUMNS = ['job_id', 'line_no', 'line_count', 'reason', 'raw_log'] as const;

const DAY_MS = 86_400_000;

/** The rows of one UTC day: COPYed straight into that day's partition (no per-row routing). */
export interface DayRows {
  /** YYYY-MM-DD */
  day: string;
  rows: number;
  data: Uint8Array;
}

/** One batch as posted from the worker thread to the writer: COPY payloads plus the checkpoint it reaches. */
export interface BatchMessage {
  type: 'batch';
  format: string;
  logs: DayRows[];
  rejects: Uint8Array;
  logRows: number;
  rejectRows: number;
  linesIngested: number;
  linesRejected: number;
  linesSkipped: number;
  /** Checkpoint after this batch: every line before it is accounted for. */
  bytesProcessed: number;
  linesProcessed: number;
  minTimestamp: string | null;
  maxTimestamp: string | null;
  final: boolean;
}

/** Accumulates encoded rows and line counts until the worker cuts a batch. */
export class BatchBuilder {
  private byDay = new Map<number, { sink: ByteSink; rows: number }>();
  private readonly rejects = new ByteSink(64 << 10);
  /** Fields equal for every row of the job, escaped once. */
  private readonly jobFields: string;
  logRows = 0;
  rejectRows = 0;
  linesIngested = 0;
  linesRejected = 0;
  linesSkipped = 0;
  private minTs = Infinity;
  private maxTs = -Infinity;

  constructor(
    private readonly jobId: string,
    source: string,
  ) {
    this.jobFields = `${copyField(source)}\t${jobId}`;
  }

  addRecord(r: LogRecord, lineNo: number, lineCount: number, raw: string): void {
    const ts = r.timestamp;
    if (ts < this.minTs) this.minTs = ts;
    if (ts > this.maxTs) this.maxTs = ts;
    const dayNumber = Math.floor(ts / DAY_MS);
    let day = this.byDay.get(dayNumber);
    if (!day) {
      day = { sink: new ByteSink(1 << 20), rows: 0 };
      this.byDay.set(dayNumber, day);
    }
    day.sink.write(
      `${isoTimestamp(ts)}\t${r.level}\t${copyField(r.statusCode)}\t${copyField(r.method)}\t${copyField(r.endpoint)}\t` +
        `${copyField(r.protocol)}\t${copyField(r.message)}\t${copyField(r.latencyMs)}\t${copyField(r.clientIp)}\t` +
        `${copyField(r.bytesSent)}\t${copyField(r.userAgent)}\t${copyField(r.referer)}\t${copyField(r.host)}\t` +
        `${this.jobFields}\t${lineNo}\t${lineCount}\t${copyField(raw)}\n`,
    );
    day.rows++;
    this.logRows++;
    this.linesIngested += lineCount;
  }

  addRejected(lineNo: number, lineCount: number, reason: string, raw: string): void {
    this.rejects.write(`${this.jobId}\t${lineNo}\t${lineCount}\t${copyField(reason)}\t${copyField(raw)}\n`);
    this.rejectRows++;
    this.linesRejected += lineCount;
  }

  addSkipped(lines: number): void {
    this.linesSkipped += lines;
  }

  get rows(): number {
    return this.logRows + this.rejectRows;
  }

  /** Encodes the batch and resets the builder; buffers are ready to be transferred, not copied. */
  take(format: string, checkpoint: { bytesProcessed: number; linesProcessed: number }, final: boolean): BatchMessage {
    const logs = [...this.byDay.entries()]
      .sort(([a], [b]) => a - b)
      .map(([dayNumber, d]) => ({ day: new Date(dayNumber * DAY_MS).toISOString().slice(0, 10), rows: d.rows, data: d.sink.take() }));
    const msg: BatchMessage = {
      type: 'batch',
      format,
      logs,
      rejects: this.rejects.take(),
      logRows: this.logRows,
      rejectRows: this.rejectRows,
      linesIngested: this.linesIngested,
      linesRejected: this.linesRejected,
      linesSkipped: this.linesSkipped,
      ...checkpoint,
      minTimestamp: this.logRows ? isoTimestamp(this.minTs) : null,
      maxTimestamp: this.logRows ? isoTimestamp(this.maxTs) : null,
      final,
    };
    this.byDay = new Map();
    this.logRows = this.rejectRows = this.linesIngested = this.linesRejected = this.linesSkipped = 0;
    this.minTs = Infinity;
    this.maxTs = -Infinity;
    return msg;
  }
}

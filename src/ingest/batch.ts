import type { LogRecord } from '../domain/record.js';
import { REJECTION_REASONS, type RejectionCode } from '../domain/rejection.js';
import { RouteNormaliser } from '../parse/routes.js';
import { BinaryCopyWriter, BufferPool, uuidBytes } from './binaryCopy.js';
import { RollupBuilder, type RollupRows } from './rollups.js';
import type { PartitionKind } from '../db/partitionPlan.js';
import { layoutId } from '../parse/layoutIds.js';
import { SearchBlockBuilder, type SearchBlocks } from '../domain/trigramBloom.js';

/** Columns written by (binary) COPY into `logs`, in the order BatchBuilder encodes them. */
export const LOG_COPY_COLUMNS = [
  'timestamp', 'log_level', 'status_code', 'method', 'endpoint', 'route', 'protocol', 'message', 'latency_ms',
  'client_ip', 'bytes_sent', 'user_agent', 'referer', 'host', 'source', 'job_id', 'line_no', 'line_count', 'raw_log',
  'layout',
] as const;

/** Columns written by (binary) COPY into `rejected_lines`, in the order BatchBuilder encodes them. */
export const REJECT_COPY_COLUMNS = ['job_id', 'line_no', 'line_count', 'reason', 'reason_code', 'detail', 'raw_log'] as const;

const DAY_MS = 86_400_000;
/** Days of a batch whose buffers start at the largest day's size (a batch of live data spans one or two). */
const FULL_SIZE_DAYS = 2;
const SMALL_DAY_BYTES = 4 << 10;

/** Epoch milliseconds (a fraction keeps microseconds) → ISO 8601 UTC with 3 or 6 fractional digits. */
export function isoTimestamp(ms: number): string {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString();
  const micros = Math.min(999, Math.round((ms - whole) * 1000));
  return micros > 0 ? `${iso.slice(0, -1)}${String(micros).padStart(3, '0')}Z` : iso;
}

/** The rows of one UTC day in binary COPY format: COPYed straight into the partition holding that day (no per-row routing). */
export interface DayRows {
  /** YYYY-MM-DD */
  day: string;
  /** The partition this day wants if none holds it yet (src/db/partitionPlan.ts decides with what exists). */
  wants: PartitionKind;
  rows: number;
  data: Uint8Array;
}

/** What the job's parser was built from (src/parse DetectionSummary): recorded on the job with each batch. */
export interface BatchFormat {
  format: string;
  confidence: 'high' | 'low';
  warnings: string[];
}

/** Lines of a batch's stored records per layout that read them (LogRecord.layout). */
export interface LayoutLines {
  name: string;
  lines: number;
}

/** One batch as posted from the worker thread to the writer: COPY payloads plus the checkpoint it reaches. */
export interface BatchMessage {
  type: 'batch';
  format: string;
  formatConfidence: 'high' | 'low';
  formatWarnings: string[];
  /** Added to the job's ingest_job_layouts in the batch's transaction. */
  layouts: LayoutLines[];
  logs: DayRows[];
  /** Rejected lines in binary COPY format; null when the batch has none. */
  rejects: Uint8Array | null;
  /** The batch's records summed per minute, hour and day, to be added to the rollup tables; null when none. */
  rollups: RollupRows | null;
  /** The records' blocks with their substring-search filters (log_search_blocks); null when there are no records. */
  searchBlocks: SearchBlocks | null;
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
  /**
   * The stored records' text, only in batches cut inside an isolation window (src/ingest/isolation.ts):
   * a record the database refuses is then kept as a rejected line.
   */
  records?: RawRecord[];
}

export interface RawRecord {
  lineNo: number;
  lineCount: number;
  raw: string;
}

/** The buffers under a batch's COPY payloads: transferred to the writer with the batch, and handed back for reuse once committed. */
export function batchBuffers(b: BatchMessage): ArrayBuffer[] {
  const payloads = [...b.logs.map((d) => d.data), ...(b.rejects ? [b.rejects] : []), ...(b.rollups?.copies.map((c) => c.data) ?? [])];
  return [...new Set(payloads.map((p) => p.buffer as ArrayBuffer))];
}

/** Accumulates encoded rows and line counts until the worker cuts a batch. */
export class BatchBuilder {
  private byDay = new Map<number, { writer: BinaryCopyWriter; rows: number }>();
  private rejects: BinaryCopyWriter | null = null;
  private readonly jobIdBytes: Uint8Array;
  /** Size of the largest day payload so far: a new day's buffer starts that big instead of growing to it. */
  private dayBytes = 1 << 20;
  logRows = 0;
  rejectRows = 0;
  linesIngested = 0;
  linesRejected = 0;
  linesSkipped = 0;
  private minTs = Infinity;
  private maxTs = -Infinity;
  private layoutLines = new Map<string, number>();
  /** Set while the batch is cut inside an isolation window: records keep their text for the writer. */
  keepRecords = false;
  private records: RawRecord[] = [];

  constructor(
    private readonly jobId: string,
    private readonly source: string,
    private readonly routes = new RouteNormaliser(),
    private readonly pool = new BufferPool(),
    /** The partition kind a day (its start, epoch ms) wants: the worker knows the job's anchor. */
    private readonly partitionFor: (dayStartMs: number) => PartitionKind = () => 'day',
  ) {
    this.jobIdBytes = uuidBytes(jobId);
    this.rollups = new RollupBuilder(source, pool);
  }

  private readonly rollups: RollupBuilder;
  private readonly searchBlocks = new SearchBlockBuilder();

  addRecord(r: LogRecord, lineNo: number, lineCount: number, raw: string): void {
    const ts = r.timestamp;
    if (ts < this.minTs) this.minTs = ts;
    if (ts > this.maxTs) this.maxTs = ts;
    const dayNumber = Math.floor(ts / DAY_MS);
    let day = this.byDay.get(dayNumber);
    if (!day) {
      // The first days of a batch start at the largest day's size; further ones small, growing as
      // needed: a file with a line per day over years would otherwise reserve a megabyte per line.
      const initialBytes = this.byDay.size < FULL_SIZE_DAYS ? this.dayBytes : SMALL_DAY_BYTES;
      day = { writer: new BinaryCopyWriter(initialBytes, this.pool), rows: 0 };
      this.byDay.set(dayNumber, day);
    }
    const route = this.routes.route(r.endpoint);
    this.rollups.add(r, route);
    const w = day.writer;
    // Same order and types as LOG_COPY_COLUMNS and the `logs` table.
    w.row(LOG_COPY_COLUMNS.length);
    w.timestamptz(ts);
    w.text(r.level);
    w.int16(r.statusCode);
    w.text(r.method);
    w.text(r.endpoint);
    w.text(route);
    w.text(r.protocol);
    w.text(r.message);
    w.float64(r.latencyMs);
    w.text(r.clientIp);
    w.int64(r.bytesSent);
    w.text(r.userAgent);
    w.text(r.referer);
    w.text(r.host);
    w.text(this.source);
    w.bytes(this.jobIdBytes);
    w.int64(lineNo);
    w.int32(lineCount);
    const rawAt = w.text(raw);
    // The filter reads the raw text's bytes as just written, before the next field; as many bytes as
    // UTF-16 code units means every character is ASCII (any other takes more bytes than units).
    this.searchBlocks.add(w.buffer, rawAt, w.byteLength, w.byteLength - rawAt === raw.length, lineNo, ts);
    w.int16(layoutId(r.layout));
    if (r.layout !== null) this.layoutLines.set(r.layout, (this.layoutLines.get(r.layout) ?? 0) + lineCount);
    if (this.keepRecords) this.records.push({ lineNo, lineCount, raw });
    day.rows++;
    this.logRows++;
    this.linesIngested += lineCount;
  }

  /** A rejected line: `code` from the fixed vocabulary (its phrase is stored beside it), `detail` for this line. */
  addRejected(lineNo: number, lineCount: number, code: RejectionCode, detail: string, raw: string): void {
    const w = (this.rejects ??= new BinaryCopyWriter(64 << 10, this.pool));
    // Same order and types as REJECT_COPY_COLUMNS and the `rejected_lines` table.
    w.row(REJECT_COPY_COLUMNS.length);
    w.bytes(this.jobIdBytes);
    w.int64(lineNo);
    w.int32(lineCount);
    w.text(REJECTION_REASONS[code]);
    w.text(code);
    w.text(detail);
    w.text(raw);
    this.rejectRows++;
    this.linesRejected += lineCount;
  }

  addSkipped(lines: number): void {
    this.linesSkipped += lines;
  }

  get rows(): number {
    return this.logRows + this.rejectRows;
  }

  /** Finishes the batch and resets the builder; its buffers are ready to be transferred, not copied. */
  take(format: BatchFormat, checkpoint: { bytesProcessed: number; linesProcessed: number }, final: boolean): BatchMessage {
    const logs = [...this.byDay.entries()]
      .sort(([a], [b]) => a - b)
      .map(([dayNumber, d]) => {
        this.dayBytes = Math.max(this.dayBytes, d.writer.byteLength + 2);
        const dayStartMs = dayNumber * DAY_MS;
        return {
          day: new Date(dayStartMs).toISOString().slice(0, 10), wants: this.partitionFor(dayStartMs), rows: d.rows, data: d.writer.finish(),
        };
      });
    const msg: BatchMessage = {
      type: 'batch',
      format: format.format,
      formatConfidence: format.confidence,
      formatWarnings: format.warnings,
      layouts: [...this.layoutLines].map(([name, lines]) => ({ name, lines })),
      logs,
      rejects: this.rejects?.finish() ?? null,
      rollups: this.rollups.take(),
      searchBlocks: this.searchBlocks.take(),
      logRows: this.logRows,
      rejectRows: this.rejectRows,
      linesIngested: this.linesIngested,
      linesRejected: this.linesRejected,
      linesSkipped: this.linesSkipped,
      ...checkpoint,
      minTimestamp: this.logRows ? isoTimestamp(this.minTs) : null,
      maxTimestamp: this.logRows ? isoTimestamp(this.maxTs) : null,
      final,
      ...(this.keepRecords ? { records: this.records } : {}),
    };
    this.records = [];
    this.layoutLines = new Map();
    this.byDay = new Map();
    this.rejects = null;
    this.logRows = this.rejectRows = this.linesIngested = this.linesRejected = this.linesSkipped = 0;
    this.minTs = Infinity;
    this.maxTs = -Infinity;
    return msg;
  }
}

import type { FramedLine } from './framing.js';

/** One log record: a line, or several when a format's records span lines (nginx error + FastCGI output). */
export interface FramedRecord {
  /** The lines joined with '\n'. */
  text: string;
  /** Line number of the first line. */
  lineNo: number;
  lineCount: number;
  byteStart: number;
  byteEnd: number;
  tooLong: boolean;
}

export interface RecordAssemblerOptions {
  /** A record longer than this is cut: the next line starts a new record. Default 1,000. */
  maxRecordLines?: number;
  /** Same bound in bytes of input (byteEnd − byteStart). Default 1 MiB. */
  maxRecordBytes?: number;
}

/**
 * Lines → records. A line for which `startsRecord` is false continues the pending record. Rules:
 * - the caller counts and skips empty lines; if one is pushed anyway it is ignored (transparent);
 * - a continuation line with no record before it (start of input) becomes a record of its own, which
 *   the parser then rejects with its reason;
 * - a line that was cut for being too long is always a record of its own, and closes it, so that only
 *   that line is rejected;
 * - records are bounded (lines and bytes); past the bound the line starts a new record.
 */
export class RecordAssembler {
  private pending: FramedRecord | null = null;
  private readonly maxLines: number;
  private readonly maxBytes: number;

  constructor(
    private readonly startsRecord: (line: string) => boolean,
    opts: RecordAssemblerOptions = {},
  ) {
    this.maxLines = opts.maxRecordLines ?? 1000;
    this.maxBytes = opts.maxRecordBytes ?? 1024 * 1024;
  }

  /** Records completed by this line (a record completes when the next record's first line arrives). */
  push(line: FramedLine): FramedRecord[] {
    if (line.text.length === 0 && !line.tooLong) return [];
    const prev = this.pending;
    if (prev !== null && this.continues(prev, line)) {
      prev.text = `${prev.text}\n${line.text}`;
      prev.lineCount++;
      prev.byteEnd = line.byteEnd;
      return [];
    }
    this.pending = {
      text: line.text,
      lineNo: line.lineNo,
      lineCount: 1,
      byteStart: line.byteStart,
      byteEnd: line.byteEnd,
      tooLong: line.tooLong,
    };
    return prev === null ? [] : [prev];
  }

  /** The pending record at end of input. */
  flush(): FramedRecord[] {
    const prev = this.pending;
    this.pending = null;
    return prev === null ? [] : [prev];
  }

  /** Where the not-yet-emitted record begins: a crash checkpoint must not move past it. */
  pendingStart(): { byteStart: number; lineNo: number } | null {
    return this.pending === null ? null : { byteStart: this.pending.byteStart, lineNo: this.pending.lineNo };
  }

  private continues(prev: FramedRecord, line: FramedLine): boolean {
    if (prev.tooLong || line.tooLong) return false;
    if (prev.lineCount >= this.maxLines) return false;
    if (line.byteEnd - prev.byteStart > this.maxBytes) return false;
    return !this.startsRecord(line.text);
  }
}

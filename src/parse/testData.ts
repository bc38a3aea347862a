/**
 * Test support (used only by *.test.ts): reads the shared sample logs from ../shared/data next to
 * the repository and runs them through the whole parse layer as src/ingest does.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SHARED_DATA } from '../../test/helpers/env.js';
import type { LogRecord } from '../domain/record.js';
import type { RejectionCode } from '../domain/rejection.js';
import { createRecordParser, LineFramer, RecordAssembler, type FormatRequest } from './index.js';

export { hasSharedData, needs, sharedData } from '../../test/helpers/env.js';
export const DATA_DIR = SHARED_DATA;

export function dataPath(rel: string): string {
  return path.join(DATA_DIR, rel);
}

/** The lines of a data file as the framer yields them (a final line without '\n' included). */
export function dataLines(rel: string): string[] {
  const framer = new LineFramer({ startOffset: 0, startLineNo: 1, maxLineBytes: 1 << 20 });
  return [...framer.push(readFileSync(dataPath(rel))), ...framer.end()].map((l) => l.text);
}

/** Line `lineNo` (1-based) of a data file. */
export function dataLine(rel: string, lineNo: number): string {
  const line = dataLines(rel)[lineNo - 1];
  if (line === undefined) throw new Error(`${rel} has no line ${lineNo}`);
  return line;
}

export interface IngestOutcome {
  format: string;
  totalLines: number;
  emptyLines: number;
  /** Lines covered by records (continuation lines included). */
  recordLines: number;
  records: { lineNo: number; lineCount: number; record: LogRecord }[];
  rejections: { lineNo: number; code: RejectionCode; detail: string; text: string }[];
}

/** Frames, groups and parses a whole data file, chunked like a stream. */
export function ingestFile(rel: string, req: FormatRequest = { format: 'auto' }, chunkBytes = 64 * 1024): IngestOutcome {
  const bytes = readFileSync(dataPath(rel));
  const framer = new LineFramer({ startOffset: 0, startLineNo: 1, maxLineBytes: 64 * 1024 });
  const lines = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) lines.push(...framer.push(bytes.subarray(i, i + chunkBytes)));
  lines.push(...framer.end());
  const samples = lines.filter((l) => l.text !== '').slice(0, 200).map((l) => l.text);
  const parser = createRecordParser(req, samples);
  const assembler = new RecordAssembler((line) => parser.startsRecord(line));
  const out: IngestOutcome = { format: parser.format, totalLines: lines.length, emptyLines: 0, recordLines: 0, records: [], rejections: [] };
  const consume = (records: ReturnType<RecordAssembler['flush']>): void => {
    for (const r of records) {
      out.recordLines += r.lineCount;
      const result = parser.parse(r.text);
      if (result.ok) out.records.push({ lineNo: r.lineNo, lineCount: r.lineCount, record: result.record });
      else out.rejections.push({ lineNo: r.lineNo, code: result.code, detail: result.detail, text: r.text });
    }
  };
  for (const line of lines) {
    if (line.text === '') out.emptyLines++;
    else consume(assembler.push(line));
  }
  consume(assembler.flush());
  return out;
}

/** Every log file of the shared data set (fail2ban/raw holds the same lines with comments, and is skipped). */
export function allDataFiles(): string[] {
  const files: string[] = [];
  for (const dir of readdirSync(DATA_DIR).sort()) {
    const full = path.join(DATA_DIR, dir);
    if (!statSync(full).isDirectory()) continue;
    for (const f of readdirSync(full).sort()) {
      if (statSync(path.join(full, f)).isFile()) files.push(`${dir}/${f}`);
    }
  }
  return files;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

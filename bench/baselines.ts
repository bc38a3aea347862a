/**
 * Baselines measured in the same run as the product figures: how fast the parser alone goes on one
 * core (the ingest worker's ceiling), and how fast the database takes the same rows with a plain
 * COPY into an unpartitioned table with two btree indexes (the writer's ceiling).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Db } from '../src/db/db.js';
import { LOG_COPY_COLUMNS } from '../src/ingest/batch.js';
import { BufferPool } from '../src/ingest/binaryCopy.js';
import { parseSpoolFile } from '../src/ingest/parseSpoolFile.js';
import { LineFramer, RecordAssembler, createRecordParser } from '../src/parse/index.js';
import { perSecond } from './stats.js';

const CHUNK_BYTES = 1 << 20;
const MAX_LINE_BYTES = 64 * 1024;
/** Same as the server's default INGEST_BATCH_ROWS, so COPY statements are the size ingestion sends. */
export const BATCH_ROWS = 20_000;
const COPY_TABLE = 'bench_copy_baseline';

export interface ParseBaseline {
  lines: number;
  records: number;
  rejected: number;
  seconds: number;
  linesPerSec: number | null;
  format: string;
}

/** Auto-detection looks at the first non-empty lines, as the worker does (parseSpoolFile's readSample). */
function sampleLines(file: string): string[] {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(256 * 1024);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const lines = buf.subarray(0, n).toString('utf8').split('\n');
    if (n === buf.length) lines.pop();
    return lines.filter((l) => l.trim() !== '').slice(0, 200);
  } finally {
    fs.closeSync(fd);
  }
}

/** Framing + record assembly + parsing, nothing else: the parser's throughput on one core. */
export function measureParseOnly(file: string): ParseBaseline {
  const t0 = performance.now();
  const parser = createRecordParser({ format: 'auto' }, sampleLines(file));
  const framer = new LineFramer({ startOffset: 0, startLineNo: 1, maxLineBytes: MAX_LINE_BYTES });
  const assembler = new RecordAssembler((line) => parser.startsRecord(line));
  let lines = 0;
  let records = 0;
  let rejected = 0;
  const parseAll = (recs: ReturnType<RecordAssembler['flush']>): void => {
    for (const rec of recs) {
      if (!rec.tooLong && parser.parse(rec.text).ok) records++;
      else rejected++;
    }
  };
  const frame = (framed: ReturnType<LineFramer['end']>): void => {
    for (const line of framed) {
      lines++;
      if (line.tooLong || line.text.trim() !== '') parseAll(assembler.push(line));
    }
  };
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let position = 0; ; ) {
      const n = fs.readSync(fd, chunk, 0, CHUNK_BYTES, position);
      if (n === 0) break;
      position += n;
      // The framer copies what it keeps of an unfinished line, so the chunk buffer can be reused.
      frame(framer.push(chunk.subarray(0, n)));
    }
    frame(framer.end());
    parseAll(assembler.flush());
  } finally {
    fs.closeSync(fd);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { lines, records, rejected, seconds, linesPerSec: perSecond(lines, seconds), format: parser.format };
}

/** The COPY payloads the worker produced, kept in one file with the extent of each batch. */
export interface CopyFile {
  path: string;
  rows: number;
  batches: { offset: number; length: number; rows: number }[];
}

export interface PipelineBaseline {
  lines: number;
  rows: number;
  /** Parsing and encoding only: the time spent writing the COPY file is subtracted. */
  seconds: number;
  linesPerSec: number | null;
  copyFile: CopyFile;
}

/**
 * Runs the worker's own code (parseSpoolFile: framing, parsing, COPY encoding, checkpoints) in this
 * thread, with no database behind it; keeps the (binary) COPY payloads for the COPY baseline.
 */
export async function measureWorkerPipeline(file: string, copyPath: string): Promise<PipelineBaseline> {
  const fd = fs.openSync(copyPath, 'w');
  const copyFile: CopyFile = { path: copyPath, rows: 0, batches: [] };
  let lines = 0;
  let offset = 0;
  let writeMs = 0;
  // Buffers go back to the pool once written, as the service's writer hands them back to the worker.
  const pool = new BufferPool();
  const t0 = performance.now();
  try {
    await parseSpoolFile(
      {
        jobId: crypto.randomUUID(), source: 'bench', spoolPath: file, format: { format: 'auto' },
        startOffset: 0, linesBefore: 0, batchRows: BATCH_ROWS, maxLineBytes: MAX_LINE_BYTES, routeRules: [],
      },
      async (batch) => {
        const w0 = performance.now();
        for (const day of batch.logs) {
          fs.writeSync(fd, day.data);
          copyFile.batches.push({ offset, length: day.data.length, rows: day.rows });
          offset += day.data.length;
          pool.put(day.data.buffer as ArrayBuffer);
        }
        writeMs += performance.now() - w0;
        copyFile.rows += batch.logRows;
        lines = batch.linesProcessed;
      },
      pool,
    );
  } finally {
    fs.closeSync(fd);
  }
  const seconds = (performance.now() - t0 - writeMs) / 1000;
  return { lines, rows: copyFile.rows, seconds, linesPerSec: perSecond(lines, seconds), copyFile };
}

export interface CopyBaseline {
  rows: number;
  statements: number;
  seconds: number;
  rowsPerSec: number | null;
}

/**
 * COPY of the same rows, in statements of BATCH_ROWS inside one transaction, into a plain table with
 * the logs columns (no id) and two btree indexes, (timestamp) and (status_code). The payload is read
 * into memory first so only the database is timed. The table is dropped afterwards.
 */
export async function measureCopyBaseline(db: Db, copy: CopyFile): Promise<CopyBaseline> {
  await db.exec(`DROP TABLE IF EXISTS ${COPY_TABLE};
    CREATE TABLE ${COPY_TABLE} (LIKE logs);
    ALTER TABLE ${COPY_TABLE} DROP COLUMN id;
    CREATE INDEX ON ${COPY_TABLE} (timestamp);
    CREATE INDEX ON ${COPY_TABLE} (status_code);`);
  const fd = fs.openSync(copy.path, 'r');
  const payloads = copy.batches.map((b) => {
    const buf = Buffer.allocUnsafe(b.length);
    fs.readSync(fd, buf, 0, b.length, b.offset);
    return buf;
  });
  fs.closeSync(fd);
  try {
    const t0 = performance.now();
    await db.transaction(async (tx) => {
      for (const p of payloads) await tx.copyFrom(COPY_TABLE, LOG_COPY_COLUMNS, p, 'binary');
    }, { unbounded: true });
    const seconds = (performance.now() - t0) / 1000;
    const counted = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${COPY_TABLE}`);
    const rows = counted.rows[0]?.n ?? 0;
    if (rows !== copy.rows) throw new Error(`COPY baseline stored ${rows} rows, expected ${copy.rows}`);
    return { rows, statements: payloads.length, seconds, rowsPerSec: perSecond(rows, seconds) };
  } finally {
    await db.exec(`DROP TABLE IF EXISTS ${COPY_TABLE}`);
  }
}

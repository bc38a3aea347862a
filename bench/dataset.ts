/**
 * The benchmark's input files: bench/generate.ts output with a few marker lines carrying a rare
 * token, so that "search for a rare substring" has a known answer. Cached in the output directory by
 * line count and seed (written to a temporary name and renamed, so a half-written file is never reused).
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateNginxTimed } from './generate.js';

/**
 * The rare token. pg_trgm splits it into the words `needle` and `7q4x`; `7q4`/`q4x` occur nowhere
 * else in generated data (hashes there are hex, `q` and `x` are not), so a trigram index finds the
 * markers without reading common posting lists.
 */
export const NEEDLE = 'needle-7q4x';
export const MARKER_LINES = 5;
/** Bumped when the way markers are written changes, so cached files are regenerated. */
const DATASET_VERSION = 1;

export interface BenchFile {
  path: string;
  lines: number;
  bytes: number;
  seed: number;
  needle: string;
  /** 1-based line numbers of the lines that contain the needle. */
  markerLines: number[];
  /** Event time of the first and last line, epoch ms. */
  firstTimeMs: number;
  lastTimeMs: number;
  version: number;
}

/** Lines spread over the file (never the first 200, which auto-detection samples). */
export function markerLineNumbers(lines: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < MARKER_LINES; k++) out.push(Math.min(lines, 201 + Math.floor(((lines - 201) * (2 * k + 1)) / (2 * MARKER_LINES))));
  return [...new Set(out)];
}

/** Puts the needle into the request URI as a query parameter; the line stays valid combined format. */
export function withNeedle(line: string): string {
  const end = line.indexOf(' HTTP/1.1"');
  if (end < 0) throw new Error(`generated line has no request: ${line}`);
  const uri = line.slice(line.indexOf('"') + 1, end);
  return `${line.slice(0, end)}${uri.includes('?') ? '&' : '?'}trace=${NEEDLE}${line.slice(end)}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `[01/Oct/2026:00:00:00 +0000]` → epoch ms (the generator always writes +0000). */
function lineTimeMs(line: string): number {
  const m = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\]/.exec(line);
  if (!m) throw new Error(`no timestamp in generated line: ${line}`);
  return Date.UTC(Number(m[3]), MONTHS.indexOf(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function writeBenchLog(file: string, lines: number, seed: number): BenchFile {
  const markers = markerLineNumbers(lines);
  const pending = new Set(markers);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  let bytes = 0;
  let lineNo = 0;
  let firstTimeMs = NaN;
  let lastChunk = '';
  try {
    for (const chunk of generateNginxTimed({ lines, seed })) {
      const chunkLines = chunk.split('\n');
      chunkLines.pop(); // the chunk ends in '\n'
      const first = lineNo + 1;
      lineNo += chunkLines.length;
      let text = chunk;
      if (markers.some((m) => m >= first && m <= lineNo)) {
        text = `${chunkLines.map((l, i) => (pending.delete(first + i) ? withNeedle(l) : l)).join('\n')}\n`;
      }
      if (Number.isNaN(firstTimeMs)) firstTimeMs = lineTimeMs(text);
      lastChunk = text;
      bytes += fs.writeSync(fd, text);
    }
  } finally {
    fs.closeSync(fd);
  }
  const lastLine = lastChunk.slice(lastChunk.lastIndexOf('\n', lastChunk.length - 2) + 1);
  fs.renameSync(tmp, file);
  return {
    path: file, lines, bytes, seed, needle: NEEDLE, markerLines: markers, firstTimeMs, lastTimeMs: lineTimeMs(lastLine), version: DATASET_VERSION,
  };
}

/** Returns the cached file when its metadata and size match, otherwise generates it. */
export function ensureBenchLog(outDir: string, lines: number, seed: number): { file: BenchFile; generatedMs: number | null } {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `access-${lines}-s${seed}.log`);
  const metaFile = `${file}.json`;
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as BenchFile;
    if (meta.version === DATASET_VERSION && meta.lines === lines && fs.statSync(file).size === meta.bytes) {
      return { file: { ...meta, path: file }, generatedMs: null };
    }
  } catch {
    // no usable cache: generate
  }
  const t0 = performance.now();
  const meta = writeBenchLog(file, lines, seed);
  fs.writeFileSync(metaFile, JSON.stringify(meta, null, 2));
  return { file: meta, generatedMs: performance.now() - t0 };
}

/** Lines needed for a file of about `bytes`, from the bytes per line of a file already generated. */
export function linesForBytes(sample: BenchFile, bytes: number): number {
  return Math.ceil(bytes / (sample.bytes / sample.lines));
}

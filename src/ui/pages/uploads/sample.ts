/**
 * A sample of a log file for `POST /formats/detect`, read with File.slice: the head, a slice from the
 * middle and the end, so a huge file costs no more than a small one and a format that changes further
 * down is seen. Gzip files are not sampled (the server detects them after unpacking).
 */

const HEAD_BYTES = 64 * 1024;
const PART_BYTES = 16 * 1024;
/** Lines per piece: the server takes at most 1,000 in all. */
const HEAD_LINES = 600;
const PART_LINES = 200;

export interface Piece {
  text: string;
  /** The piece begins at a line start (the file's first byte). */
  fromStart: boolean;
  /** The piece ends at the end of the file. */
  toEnd: boolean;
  maxLines: number;
}

export interface Sample {
  gzip: boolean;
  /** The sample is the whole file (a small one). */
  whole: boolean;
  lines: string[];
  /** The file's line number of each sample line; null past the head, where it is not known. */
  lineNos: (number | null)[];
  /** Lines left out for being longer than the server reads (MAX_LINE_BYTES). */
  tooLong: number;
}

const encoder = new TextEncoder();

/** Whole lines of each piece: partial lines at a cut are dropped; empty lines are kept only in the head (they keep its line numbers). */
export function sampleFromPieces(pieces: Piece[], maxLineBytes: number): Omit<Sample, 'gzip' | 'whole'> {
  const out: Omit<Sample, 'gzip' | 'whole'> = { lines: [], lineNos: [], tooLong: 0 };
  for (const piece of pieces) {
    const lines = piece.text.split('\n');
    if (!piece.fromStart) lines.shift(); // begins inside a line
    if (!piece.toEnd || lines[lines.length - 1] === '') lines.pop(); // ends inside a line, or after the last newline
    // The end of the file is its last lines.
    if (piece.toEnd && !piece.fromStart) lines.splice(0, Math.max(0, lines.length - piece.maxLines));
    let taken = 0;
    lines.forEach((raw, i) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (taken >= piece.maxLines || (!piece.fromStart && line.trim() === '')) return;
      // At most 3 UTF-8 bytes per UTF-16 unit: encode only lines that might be too long.
      if (line.length * 3 > maxLineBytes && encoder.encode(line).length > maxLineBytes) {
        out.tooLong++;
        return;
      }
      out.lines.push(line);
      out.lineNos.push(piece.fromStart ? i + 1 : null);
      taken++;
    });
  }
  return out;
}

export async function readSample(file: File, maxLineBytes: number): Promise<Sample> {
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  if (head[0] === 0x1f && head[1] === 0x8b) return { gzip: true, whole: false, lines: [], lineNos: [], tooLong: 0 };
  const decode = (bytes: ArrayBuffer | Uint8Array) => new TextDecoder().decode(bytes);
  const pieces: Piece[] = [];
  const whole = file.size <= HEAD_BYTES + 2 * PART_BYTES;
  if (whole) {
    pieces.push({ text: decode(await file.arrayBuffer()), fromStart: true, toEnd: true, maxLines: HEAD_LINES + 2 * PART_LINES });
  } else {
    const mid = Math.floor(file.size / 2);
    pieces.push(
      { text: decode(head), fromStart: true, toEnd: false, maxLines: HEAD_LINES },
      { text: decode(await file.slice(mid, mid + PART_BYTES).arrayBuffer()), fromStart: false, toEnd: false, maxLines: PART_LINES },
      { text: decode(await file.slice(file.size - PART_BYTES).arrayBuffer()), fromStart: false, toEnd: true, maxLines: PART_LINES },
    );
  }
  return { gzip: false, whole, ...sampleFromPieces(pieces, maxLineBytes) };
}

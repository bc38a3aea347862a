import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { countLines } from '../live/journalLines.js';
import { expandPattern } from './glob.js';
import type { Batch } from './sender.js';
import type { StreamState } from './state.js';

/** The first line (at most this much of it) is a file's fingerprint. */
const FINGERPRINT_BYTES = 1024;
/** A batch is at most this much (whole lines; one line longer than it goes alone, up to MAX_LINE_BYTES). */
const BATCH_BYTES = 1024 * 1024;
const MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface ShipperOptions {
  /** Paths and shell wildcards, looked at again each scan: files that appear later are followed too. */
  patterns: readonly string[];
  /** What the state directory remembers from the last run. */
  saved: readonly StreamState[];
  /** A file seen for the first time when `ship` starts: from its beginning (default) or its end. */
  startAtEnd?: boolean;
  /** A file renamed away (rotated) or left behind is read to its end, then let go once it has not grown for this long. */
  drainMs?: number;
  host?: string;
  /** Things a person wants to know (a file followed, rotated, truncated, let go), as one sentence. */
  onEvent?: (sentence: string) => void;
}

/** A followed file: a stream of bytes under one name, whichever file holds it now. */
interface Stream extends StreamState {
  file: fs.promises.FileHandle | undefined;
  /** Found at a followed path in the last scan (else it was renamed away: read to its end, then let go). */
  watched: boolean;
  size: number;
  grewAt: number;
}

/**
 * Follows files the way `tail -F` does, for `loginsights ship`. A file is known by the hash of its
 * first line (as Vector's checksum fingerprint), not by its name or inode, so it keeps its stream
 * when it is renamed (rotation by rename: the old file is read to its end from its open handle, or
 * found next to its old name after a restart) and when it is copied (copytruncate: the copy is read
 * from where the original was left, then the truncated file is a new stream). Each stream's read
 * offset is what the server acknowledged; `nextBatch` hands out whole lines from there.
 *
 * Limits, said plainly: a file whose first line is still being written is not read until that line
 * ends; two files that begin with the same line are taken for one; lines written between a
 * copytruncate's copy and its truncation are lost (they are in neither file when `ship` looks).
 */
export class Shipper {
  private readonly streams = new Map<string, Stream>();
  private readonly host: string;
  private readonly drainMs: number;
  private firstScan = true;

  constructor(private readonly opts: ShipperOptions) {
    this.host = opts.host ?? os.hostname();
    this.drainMs = opts.drainMs ?? 5_000;
    for (const s of opts.saved) this.streams.set(s.stream, { ...s, file: undefined, watched: false, size: s.offset, grewAt: Date.now() });
  }

  /** What to save in the state directory. */
  state(): StreamState[] {
    return [...this.streams.values()].map(({ stream, fingerprint, path: p, dev, ino, offset, seenAt, ended }) =>
      ({ stream, fingerprint, path: p, dev, ino, offset, seenAt, ...(ended ? { ended } : {}) }));
  }

  /** Files open now, and the bytes they hold that the server does not have yet. */
  progress(): { files: number; lagBytes: number } {
    let files = 0;
    let lagBytes = 0;
    for (const s of this.streams.values()) {
      if (!s.file) continue;
      files++;
      lagBytes += Math.max(0, s.size - s.offset);
    }
    return { files, lagBytes };
  }

  /** Looks for files: new ones matching the patterns, renamed and copied ones of known streams. */
  async scan(): Promise<void> {
    const now = Date.now();
    const owners = new Map<string, Stream>();
    for (const s of this.streams.values()) if (s.file) owners.set(`${s.dev}:${s.ino}`, s);
    const seen = new Set<Stream>();
    const paths = [...new Set(this.opts.patterns.flatMap(expandPattern))];
    for (const p of paths) {
      const st = statOrNull(p);
      if (!st) continue;
      const owner = owners.get(`${st.dev}:${st.ino}`);
      if (owner) {
        owner.path = p;
        seen.add(owner);
        continue;
      }
      const fingerprint = fingerprintOf(p);
      if (fingerprint === undefined) continue;
      const id = `${this.host}/${fingerprint}`;
      const known = this.streams.get(id);
      if (known) {
        // Another file with a known first line: the stream's own file renamed here, or its copy. A stream
        // that has a file of its own keeps it (this one is a copy); one without takes this file, if it
        // holds at least what was sent (else it is another file that begins with the same line).
        if (!known.file && st.size >= known.offset) {
          await this.attach(known, p, st);
          seen.add(known);
        } else if (known.file) seen.add(known);
        continue;
      }
      const startAt = this.firstScan && this.opts.startAtEnd ? await lastLineEnd(p, st.size) : 0;
      const s: Stream = {
        stream: id, fingerprint, path: p, dev: st.dev, ino: st.ino, offset: startAt, seenAt: now,
        file: undefined, watched: true, size: st.size, grewAt: now,
      };
      this.streams.set(id, s);
      await this.attach(s, p, st);
      seen.add(s);
      this.opts.onEvent?.(`following ${p}${startAt > 0 ? ` from its end (${startAt} bytes)` : ''}`);
    }
    for (const s of this.streams.values()) {
      s.watched = seen.has(s);
      // A stream of the last run not at a followed path: renamed away while `ship` was stopped. Its file is
      // looked for next to where it was, to send what was written to it before the rotation.
      if (this.firstScan && !s.file && !s.watched && !s.ended) {
        const found = findCopy(s, undefined);
        const was = s.path;
        if (found) {
          await this.attach(s, found.path, found.stat);
          s.watched = false;
          this.opts.onEvent?.(`reading the rest of ${found.path}${found.path === was ? '' : ` (renamed from ${was})`}`);
        } else {
          s.ended = true;
          this.opts.onEvent?.(`${s.path} (followed before) is gone; what was written to it after byte ${s.offset} could not be read`);
        }
      }
    }
    this.firstScan = false;
  }

  /**
   * The next batch to send: whole lines from a stream's offset, or undefined when no stream has any.
   * A file renamed away ends with its last bytes once it has stopped growing, newline or not.
   */
  async nextBatch(): Promise<Batch | undefined> {
    const now = Date.now();
    for (const s of this.streams.values()) {
      if (!s.file) continue;
      const st = await s.file.stat();
      if (st.size !== s.size) s.grewAt = now;
      s.size = st.size;
      // Truncated in place (copytruncate): shorter than what was read, or, refilled before this look,
      // beginning with another line.
      if (st.size < s.offset || (s.offset > 0 && await fingerprintOfHandle(s.file) !== s.fingerprint)) {
        await this.truncated(s);
        if (!s.file) continue;
      }
      const settled = !s.watched && now - s.grewAt >= this.drainMs;
      const batch = await readLines(s, settled);
      if (batch) {
        s.seenAt = now;
        return batch;
      }
      if (settled && s.size <= s.offset) {
        await this.detach(s);
        s.ended = true;
        this.opts.onEvent?.(`done with ${s.path}: read to its end`);
      }
    }
    return undefined;
  }

  /** The server has the stream's bytes before `ackedTo`. */
  acknowledged(stream: string, ackedTo: number): void {
    const s = this.streams.get(stream);
    if (s) s.offset = Math.max(s.offset, ackedTo);
  }

  async close(): Promise<void> {
    for (const s of this.streams.values()) await this.detach(s);
  }

  /**
   * The stream's file is shorter than what was read of it: truncated in place (copytruncate). Its
   * copy, the same first line and at least as long, is read from the offset on; the truncated file
   * is a new stream once it has a first line again.
   */
  private async truncated(s: Stream): Promise<void> {
    const copy = findCopy(s, s.ino);
    const was = s.path;
    await this.detach(s);
    if (copy) {
      await this.attach(s, copy.path, copy.stat);
      s.watched = false;
      this.opts.onEvent?.(`${was} was truncated; reading the rest from its copy ${copy.path}`);
    } else {
      this.opts.onEvent?.(`${s.path} was truncated and no copy of it was found: lines written to it after byte ${s.offset} and before the truncation are lost`);
      s.size = s.offset;
      s.ended = true;
    }
  }

  private async attach(s: Stream, p: string, st: fs.Stats): Promise<void> {
    await this.detach(s);
    s.file = await fs.promises.open(p, 'r');
    s.path = p;
    s.dev = st.dev;
    s.ino = st.ino;
    s.size = st.size;
    s.grewAt = Date.now();
    s.watched = true;
    s.ended = false;
  }

  private async detach(s: Stream): Promise<void> {
    const file = s.file;
    s.file = undefined;
    await file?.close().catch(() => undefined);
  }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? st : null;
  } catch {
    return null;
  }
}

/** sha256 (hex, 32 digits) of the first line, or of its first KiB; undefined until that much is written. */
export function fingerprintOf(p: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, 'r');
    const buf = Buffer.alloc(FINGERPRINT_BYTES);
    return fingerprintOfHead(buf.subarray(0, fs.readSync(fd, buf, 0, FINGERPRINT_BYTES, 0)));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

async function fingerprintOfHandle(fh: fs.promises.FileHandle): Promise<string | undefined> {
  const buf = Buffer.alloc(FINGERPRINT_BYTES);
  const { bytesRead } = await fh.read(buf, 0, FINGERPRINT_BYTES, 0);
  return fingerprintOfHead(buf.subarray(0, bytesRead));
}

function fingerprintOfHead(head: Buffer): string | undefined {
  const nl = head.indexOf(0x0a);
  if (nl < 0 && head.length < FINGERPRINT_BYTES) return undefined;
  return crypto.createHash('sha256').update(head.subarray(0, nl < 0 ? head.length : nl + 1)).digest('hex').slice(0, 32);
}

/** Another file next to the stream's last path with its first line and at least its read bytes (not inode `not`). */
function findCopy(s: Stream, not: number | undefined): { path: string; stat: fs.Stats } | undefined {
  const dir = path.dirname(s.path);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const p = path.join(dir, name);
    const st = statOrNull(p);
    if (!st || st.ino === not || st.size < s.offset) continue;
    if (fingerprintOf(p) === s.fingerprint) return { path: p, stat: st };
  }
  return undefined;
}

/** Where the last whole line of a file ends (its end, for `--start-at end`). */
async function lastLineEnd(p: string, size: number): Promise<number> {
  const fh = await fs.promises.open(p, 'r');
  try {
    const from = Math.max(0, size - MAX_LINE_BYTES);
    const buf = Buffer.alloc(size - from);
    await fh.read(buf, 0, buf.length, from);
    return from + buf.lastIndexOf(0x0a) + 1;
  } finally {
    await fh.close();
  }
}

/** Whole lines from the stream's offset (and, once `settled`, a last line without its newline). */
async function readLines(s: Stream, settled: boolean): Promise<Batch | undefined> {
  const available = s.size - s.offset;
  if (available <= 0 || !s.file) return undefined;
  for (let want = Math.min(available, BATCH_BYTES); ; want = Math.min(available, want * 4, MAX_LINE_BYTES)) {
    const buf = Buffer.alloc(want);
    const { bytesRead } = await s.file.read(buf, 0, want, s.offset);
    const got = buf.subarray(0, bytesRead);
    const end = got.lastIndexOf(0x0a) + 1;
    const whole = end > 0 ? got.subarray(0, end) : settled || bytesRead >= MAX_LINE_BYTES ? got : undefined;
    if (whole) return { stream: s.stream, offset: s.offset, body: whole, lines: countLines(whole) };
    if (bytesRead < want || want >= available || want >= MAX_LINE_BYTES) return undefined;
  }
}

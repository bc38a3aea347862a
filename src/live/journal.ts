import type { JournalLines } from './journalLines.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
import { sealedMarkerOf, spoolPathsInUse } from '../ingest/jobs.js';
import { startLoop, type BackgroundLoop } from '../domain/backgroundLoop.js';
import { abandonedSegments, committedBytes, createSegmentJob, markSealed, renewAppender, type LiveProtocol } from './segments.js';
import { SourceActivity, type SourceActivityOptions } from './sourceActivity.js';

export interface LiveJournalOptions {
  db: Db;
  logger: Logger;
  /** Where segment files go (one file per source at a time). */
  dir: string;
  /** A segment is sealed, and the next one begun, past this many bytes ... */
  segmentBytes?: number;
  /** ... or this long after it began. */
  segmentMs?: number;
  /** Appends are refused (BacklogFullError) while more than this many appended bytes wait to be committed. */
  maxBacklogBytes?: number;
  /** ... or while more than this many bytes wait in memory for their write (the disk is slow). */
  maxQueuedBytes?: number;
  /** Called when a segment's job is queued or sealed: the runner looks for work at once. */
  onSegment?: () => void;
  /** How appends are tracked per source for GET /sources and the silence warning (its clock, its rule). */
  activity?: Omit<SourceActivityOptions, 'logger'>;
}

/** The database is behind: the input pushes back (HTTP 429/503 with Retry-After, TCP stops reading, UDP drops). */
export class BacklogFullError extends Error {
  constructor(readonly backlogBytes: number, readonly limitBytes: number) {
    super(`live ingestion is ${backlogBytes} bytes behind (limit ${limitBytes}); try again shortly`);
  }
}

interface Segment {
  jobId: string;
  source: string;
  /** The protocol of the append that began it (its job's live_protocol); later appends of the source join it whatever theirs. */
  protocol: LiveProtocol;
  path: string;
  fd: fs.promises.FileHandle;
  openedAt: number;
  /** Bytes written to the file (fsynced or being fsynced), and bytes queued behind them. */
  written: number;
  queued: Buffer[];
  queuedBytes: number;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
  flushing: Promise<void> | null;
  /** No more appends: the flush in progress is the last, then the seal. */
  sealing: boolean;
}

const APPENDER_MS = 30_000;
const SEALED_SUFFIX = sealedMarkerOf('');
const TICK_MS = 1_000;

/**
 * The live inputs' write-ahead log. Lines of one source are appended to that source's open segment
 * file and fsynced before append() resolves (appends that arrive during an fsync share the next one),
 * so an input acknowledges its sender only for lines that survive a crash. Each segment is an ingest
 * job (src/live/segments.ts) that the runner parses while it grows (follow mode) and finishes once it
 * is sealed: by size, by age, at shutdown, or at the next start when its process died. From there on
 * the lines have an upload's guarantees: committed once each, with the job's checkpoint.
 */
export class LiveJournal {
  readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  /** What each source appended and had refused, for GET /sources; its silences are logged at each tick. */
  readonly activity: SourceActivity;
  /** Each source's segment that takes its appends, and the ones being begun. */
  private readonly current = new Map<string, Segment>();
  private readonly opening = new Map<string, Promise<Segment>>();
  /** Every segment not sealed yet, with the bytes its job had committed at the last look. */
  private readonly unsealed = new Map<string, Segment>();
  private readonly committed = new Map<string, number>();
  private readonly sealings = new Set<Promise<void>>();
  private loop: BackgroundLoop | undefined;
  private closed = false;
  private readonly segmentBytes: number;
  private readonly segmentMs: number;
  private readonly maxBacklogBytes: number;
  private readonly maxQueuedBytes: number;

  constructor(private readonly opts: LiveJournalOptions) {
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.segmentMs = opts.segmentMs ?? 3_600_000;
    this.maxBacklogBytes = opts.maxBacklogBytes ?? 256 * 1024 * 1024;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 32 * 1024 * 1024;
    this.activity = new SourceActivity({ ...opts.activity, logger: opts.logger });
  }

  /** Seals the segments of processes that are gone, then starts the upkeep (age seals, claim renewals, backlog). */
  async start(): Promise<void> {
    await fs.promises.mkdir(this.opts.dir, { recursive: true });
    for (const s of await abandonedSegments(this.opts.db, this.owner, this.opts.db.soleProcess)) {
      const bytes = await sealAbandonedFile(s.path);
      await markSealed(this.opts.db, s.id, bytes);
      this.opts.logger.info({ job_id: s.id, bytes }, 'sealed a live segment its process left open');
    }
    await this.sweep();
    this.loop = startLoop({
      everyMs: TICK_MS,
      run: () => this.tick(),
      onError: (err) => this.opts.logger.warn({ err }, 'live journal upkeep failed; retrying'),
    });
    this.opts.onSegment?.();
  }

  /**
   * Removes what no job needs: seal markers whose segment is gone (its job succeeded, or its failed
   * file was released, and the process stopped before the marker went), and segment files no job
   * names (a process that died between creating the file and queueing its job), once a minute old so
   * that a segment another process is beginning right now is left alone.
   */
  private async sweep(): Promise<void> {
    const inUse = await spoolPathsInUse(this.opts.db);
    const now = Date.now();
    for (const name of await fs.promises.readdir(this.opts.dir)) {
      const file = path.join(this.opts.dir, name);
      const segment = name.endsWith(SEALED_SUFFIX) ? file.slice(0, -SEALED_SUFFIX.length) : null;
      if (segment !== null ? fs.existsSync(segment) : inUse.has(file)) continue;
      const stat = await fs.promises.stat(file).catch(() => undefined);
      if (!stat?.isFile() || (segment === null && now - stat.mtimeMs < 60_000)) continue;
      await fs.promises.rm(file, { force: true });
      this.opts.logger.info({ file }, 'removed a live journal file no job needs');
    }
  }

  /** Bytes appended to segments and not yet committed by their jobs, as of the last look (every second). */
  get backlogBytes(): number {
    let behind = 0;
    for (const s of this.unsealed.values()) behind += this.uncommitted(s);
    return Math.max(0, behind);
  }

  /** A segment's bytes appended (written or queued) and not yet committed by its job, as of the last look. */
  private uncommitted(s: Segment): number {
    return s.written + s.queuedBytes - (this.committed.get(s.jobId) ?? 0);
  }

  /** Each segment this process appends to, with the bytes appended to it and not yet committed (as of the last look). */
  openSegments(): { jobId: string; source: string; protocol: LiveProtocol; backlogBytes: number }[] {
    return [...this.unsealed.values()].map((s) => ({
      jobId: s.jobId, source: s.source, protocol: s.protocol,
      backlogBytes: Math.max(0, this.uncommitted(s)),
    }));
  }

  /**
   * Appends lines (src/live/journalLines.ts: each input's made into the segment's form) to the source's
   * segment; resolves once they are on disk. Refuses (BacklogFullError) when the database is too far
   * behind. Either way the source's activity counts it.
   */
  async append(source: string, protocol: LiveProtocol, lines: JournalLines): Promise<void> {
    if (this.closed) throw new Error('live journal closed');
    if (lines.lines === 0) return;
    try {
      await this.write(source, protocol, lines.data);
    } catch (err) {
      this.activity.refused(source, protocol, lines.lines, err instanceof BacklogFullError ? err.message
        : `the journal could not write the lines${errorCode(err)}`);
      throw err;
    }
    this.activity.received(source, protocol, lines.lines);
  }

  private async write(source: string, protocol: LiveProtocol, data: Buffer): Promise<void> {
    const backlog = this.backlogBytes;
    if (backlog > this.maxBacklogBytes) throw new BacklogFullError(backlog, this.maxBacklogBytes);
    let queued = 0;
    for (const s of this.unsealed.values()) queued += s.queuedBytes;
    if (queued > this.maxQueuedBytes) throw new BacklogFullError(queued, this.maxQueuedBytes);
    let segment = await this.segmentOf(source, protocol);
    // Sealed while this append waited for it: the next one takes the lines.
    while (segment.sealing) segment = await this.segmentOf(source, protocol);
    await new Promise<void>((resolve, reject) => {
      segment.queued.push(data);
      segment.queuedBytes += data.length;
      segment.waiters.push({ resolve, reject });
      this.flush(segment);
    });
  }

  /** Seals every open segment (shutdown): what was appended is parsed by this process's successor or another. */
  async close(): Promise<void> {
    this.closed = true;
    await this.loop?.stop();
    for (const s of [...this.unsealed.values()]) this.seal(s);
    await Promise.allSettled([...this.sealings]);
  }

  private async segmentOf(source: string, protocol: LiveProtocol): Promise<Segment> {
    const current = this.current.get(source);
    if (current) return current;
    let opening = this.opening.get(source);
    if (!opening) {
      opening = this.begin(source, protocol);
      this.opening.set(source, opening);
      // Failed (database away) or not, the next append looks again.
      void opening.then(() => this.opening.delete(source), () => this.opening.delete(source));
    }
    return opening;
  }

  private async begin(source: string, protocol: LiveProtocol): Promise<Segment> {
    const file = path.join(this.opts.dir, `${crypto.randomUUID()}.log`);
    const fd = await fs.promises.open(file, 'wx');
    try {
      const jobId = await createSegmentJob(this.opts.db, { source, protocol, path: file, appender: this.owner, appenderMs: APPENDER_MS });
      const segment: Segment = {
        jobId, source, protocol, path: file, fd, openedAt: Date.now(), written: 0, queued: [], queuedBytes: 0, waiters: [], flushing: null, sealing: false,
      };
      this.unsealed.set(jobId, segment);
      this.current.set(source, segment);
      this.opts.onSegment?.();
      return segment;
    } catch (err) {
      await fd.close();
      await fs.promises.rm(file, { force: true });
      throw err;
    }
  }

  /** Writes and fsyncs what is queued, one write at a time per segment; appends queued meanwhile go in the next. */
  private flush(s: Segment): void {
    if (s.flushing || s.queued.length === 0) return;
    // Written as the appends came (writev), not joined first: an append is a request's lines, ~1 MB under a flood.
    const data = s.queued;
    const bytes = s.queuedBytes;
    const waiters = s.waiters;
    s.queued = [];
    s.queuedBytes = 0;
    s.waiters = [];
    s.flushing = (async () => {
      try {
        const { bytesWritten } = await s.fd.writev(data, s.written);
        if (bytesWritten !== bytes) throw new Error(`wrote ${bytesWritten} of ${bytes} bytes`);
        await s.fd.datasync();
        s.written += bytes;
        for (const w of waiters) w.resolve();
      } catch (err) {
        // The bytes may be partly on disk: this segment takes no more, and its seal cuts a torn last line.
        for (const w of waiters) w.reject(err);
        this.seal(s);
      } finally {
        s.flushing = null;
      }
      if (s.sealing) return;
      if (s.written >= this.segmentBytes) this.seal(s);
      else this.flush(s);
    })();
  }

  /**
   * Closes the source's open segment in this process, if it has one: its next lines begin a new
   * segment, queued with the source's format as it is now (PUT /sources/{source}/format).
   */
  sealSource(source: string): void {
    const s = this.current.get(source);
    if (s) this.seal(s);
  }

  /** No more appends to the segment: the next append of its source begins a new one. */
  private seal(s: Segment): void {
    if (s.sealing) return;
    s.sealing = true;
    if (this.current.get(s.source) === s) this.current.delete(s.source);
    const done = (async () => {
      // Appends queued behind the last write still go into this segment, then it is closed.
      while (s.flushing || s.queued.length > 0) {
        this.flush(s);
        await s.flushing;
      }
      // A write that failed may have left bytes past the last acknowledged one: they go, so the job reads exactly those.
      await s.fd.truncate(s.written).catch(() => undefined);
      await s.fd.close().catch(() => undefined);
      await writeMarker(s.path);
      await markSealed(this.opts.db, s.jobId, s.written);
      this.unsealed.delete(s.jobId);
      this.committed.delete(s.jobId);
      this.opts.onSegment?.();
    })().catch((err: unknown) => {
      // The marker tells the job it ends; the database learns of the seal at the next start (abandoned).
      this.opts.logger.warn({ err, job_id: s.jobId }, 'could not record the seal of a live segment');
    });
    this.sealings.add(done);
    void done.finally(() => this.sealings.delete(done));
  }

  private async tick(): Promise<void> {
    // First: it needs no database, so silences are told while the database is away too.
    this.activity.check();
    const now = Date.now();
    for (const s of this.unsealed.values()) {
      if (!s.sealing && now - s.openedAt >= this.segmentMs) this.seal(s);
    }
    const ids = [...this.unsealed.keys()];
    for (const [id, bytes] of await committedBytes(this.opts.db, ids)) this.committed.set(id, bytes);
    if (ids.length) await renewAppender(this.opts.db, this.owner, APPENDER_MS);
  }
}

/** ` (EIO)`: a write failure's kind, for a source's row; its message names the segment file, which is no business of a reader's. */
function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}

/** Creates the seal marker durably: the parse of the segment ends once it has read all the file. */
async function writeMarker(segmentPath: string): Promise<void> {
  const marker = sealedMarkerOf(segmentPath);
  const fd = await fs.promises.open(marker, 'w');
  await fd.sync();
  await fd.close();
  const dir = await fs.promises.open(path.dirname(marker), 'r');
  await dir.sync().catch(() => undefined);
  await dir.close();
}

/**
 * Seals the file of a segment whose process died: cut back to its last whole line (a write torn by
 * the crash was never acknowledged), mark it sealed, and return its size. A missing file (its disk
 * was lost) seals empty.
 */
export async function sealAbandonedFile(segmentPath: string): Promise<number> {
  let size = 0;
  try {
    const fd = await fs.promises.open(segmentPath, 'r+');
    try {
      size = (await fd.stat()).size;
      const tail = Buffer.alloc(Math.min(size, 64 * 1024));
      let end = size;
      // Back to the last newline; a line longer than the window is cut whole.
      while (end > 0) {
        const from = Math.max(0, end - tail.length);
        const { bytesRead } = await fd.read(tail, 0, end - from, from);
        const nl = tail.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (nl >= 0) {
          end = from + nl + 1;
          break;
        }
        end = from;
      }
      if (end !== size) {
        await fd.truncate(end);
        await fd.sync();
        size = end;
      }
    } finally {
      await fd.close();
    }
    await writeMarker(segmentPath);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
  return size;
}

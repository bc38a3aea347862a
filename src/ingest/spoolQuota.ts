import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../db/db.js';
import { formatBytes } from '../domain/bytes.js';

/** While an upload streams, free space is looked at again after each this many bytes. */
const FREE_CHECK_EVERY_BYTES = 8 << 20;

export interface SpoolLimits {
  spoolDir: string;
  /** SPOOL_MAX_BYTES; 0: no quota. */
  maxBytes: number;
  /** SPOOL_MIN_FREE_BYTES; 0: no reserve. */
  minFreeBytes: number;
}

/** An upload would take the spool past a limit: the numbers, for SpoolQuota.explain. */
export class SpoolFullError extends Error {
  constructor(readonly limit: 'quota' | 'free_space', readonly usedBytes: number, readonly comingBytes: number, readonly freeBytes = 0) {
    super(limit === 'quota' ? 'the spool is over SPOOL_MAX_BYTES' : 'the spool file system is under SPOOL_MIN_FREE_BYTES free');
  }
}

/** One upload's share of the spool: charged as its bytes arrive, ended when it is kept or dropped. */
export interface SpoolCharge {
  /** Counts `bytes` more; throws SpoolFullError when that takes the spool past a limit. */
  charge(bytes: number): Promise<void>;
  /** The upload's file, so that a scan by another upload does not count it twice. */
  file(path: string): void;
  /** The upload is over: its file stays (a job's, counted on disk from now on) or is gone. */
  end(kept: boolean): void;
}

/**
 * The spool's limits for this process's uploads (issue 13, defect 11): SPOOL_MAX_BYTES over the spool
 * files on disk (queued and failed jobs' files; several processes share SPOOL_DIR) plus the bytes of
 * uploads still streaming here, and SPOOL_MIN_FREE_BYTES of free space on the spool's file system,
 * which the embedded database shares by default (DATA_DIR/spool): a full disk would stop it too.
 * The files on disk are counted when an upload starts; jobs finishing meanwhile only make it safer.
 */
export class SpoolQuota {
  private onDiskBytes = 0;
  private readonly streaming = new Map<symbol, { bytes: number; file: string | null }>();

  constructor(private readonly limits: SpoolLimits) {}

  /** Before an upload: refuses it (SpoolFullError) when `declaredBytes` (Content-Length, if any) cannot fit. */
  async begin(declaredBytes: number | undefined): Promise<SpoolCharge> {
    const { maxBytes, minFreeBytes } = this.limits;
    if (maxBytes > 0) {
      this.onDiskBytes = await this.scan();
      if (this.used() + (declaredBytes ?? 0) > maxBytes) throw new SpoolFullError('quota', this.used(), declaredBytes ?? 0);
    }
    if (minFreeBytes > 0) await this.checkFree(declaredBytes ?? 0);
    const id = Symbol('upload');
    const own = { bytes: 0, file: null as string | null };
    this.streaming.set(id, own);
    let sinceFreeCheck = 0;
    return {
      charge: async (bytes) => {
        own.bytes += bytes;
        if (maxBytes > 0 && this.used() > maxBytes) throw new SpoolFullError('quota', this.used() - bytes, bytes);
        sinceFreeCheck += bytes;
        if (minFreeBytes > 0 && sinceFreeCheck >= FREE_CHECK_EVERY_BYTES) {
          sinceFreeCheck = 0;
          await this.checkFree(0);
        }
      },
      file: (p) => {
        own.file = p;
      },
      end: (kept) => {
        if (!this.streaming.delete(id)) return;
        if (kept) this.onDiskBytes += own.bytes;
      },
    };
  }

  /** The refusal as a person can act on it: what fills the spool, and the setting it hit. */
  async explain(db: Queryable, err: SpoolFullError): Promise<string> {
    if (err.limit === 'free_space') {
      return `the spool's file system has ${formatBytes(err.freeBytes)} free, this upload would bring ${formatBytes(err.comingBytes)}, and uploads must leave ` +
        `SPOOL_MIN_FREE_BYTES (${formatBytes(this.limits.minFreeBytes)}) free for the database and the jobs: ` +
        'free some space, or move SPOOL_DIR to a larger volume';
    }
    const use = await spoolUseByJobs(db);
    const streaming = [...this.streaming.values()].reduce((n, s) => n + s.bytes, 0);
    return `the spool holds ${formatBytes(err.usedBytes)} (${formatBytes(use.queued)} for queued or running jobs, ` +
      `${formatBytes(use.failed)} kept for failed jobs, ${formatBytes(streaming)} of uploads in progress); ` +
      `${formatBytes(err.comingBytes)} more of this upload would take it over SPOOL_MAX_BYTES (${formatBytes(this.limits.maxBytes)}): ` +
      'wait for jobs to finish, or raise SPOOL_MAX_BYTES';
  }

  private used(): number {
    let bytes = this.onDiskBytes;
    for (const s of this.streaming.values()) bytes += s.bytes;
    return bytes;
  }

  /** Sizes of the spool's files, but those of uploads streaming here (counted as they arrive). */
  private async scan(): Promise<number> {
    const streamingFiles = new Set([...this.streaming.values()].map((s) => s.file));
    let bytes = 0;
    for (const name of await fs.promises.readdir(this.limits.spoolDir).catch(() => [] as string[])) {
      const file = path.join(this.limits.spoolDir, name);
      if (streamingFiles.has(file)) continue;
      const stat = await fs.promises.stat(file).catch(() => undefined);
      if (stat?.isFile()) bytes += stat.size;
    }
    return bytes;
  }

  private async checkFree(comingBytes: number): Promise<void> {
    const st = await fs.promises.statfs(this.limits.spoolDir);
    const free = st.bavail * st.bsize;
    if (free - comingBytes < this.limits.minFreeBytes) throw new SpoolFullError('free_space', 0, comingBytes, free);
  }
}

/** Bytes of spool files by what keeps them: jobs still to run, and failed jobs whose file is not yet removed. */
export async function spoolUseByJobs(db: Queryable): Promise<{ queued: number; failed: number }> {
  const res = await db.query<{ failed: boolean; bytes: number }>(
    `SELECT status = 'failed' AS failed, coalesce(sum(bytes_total), 0)::bigint AS bytes FROM ingest_jobs
     WHERE status <> 'succeeded' AND spool_removed_at IS NULL GROUP BY 1`,
  );
  return {
    queued: res.rows.find((r) => !r.failed)?.bytes ?? 0,
    failed: res.rows.find((r) => r.failed)?.bytes ?? 0,
  };
}

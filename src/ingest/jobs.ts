import { whereClause, type Db, type Queryable } from '../db/db.js';
import type { IngestJob, JobStatus } from '../domain/ingestJob.js';
import { rejectionReason, type RejectedLine, type RejectionCode, type RejectionGroup } from '../domain/rejection.js';
import { withCatchAllWarnings } from './formatReport.js';

export type { IngestJob, JobStatus } from '../domain/ingestJob.js';
export type { RejectedLine, RejectionGroup } from '../domain/rejection.js';

/** What a worker needs beyond the public fields. */
export interface ClaimedJob extends IngestJob {
  spool_path: string;
  /** Set for a live segment (src/live/journal.ts): its file grows until sealed. */
  live_protocol: string | null;
}

/** The file whose existence says a live segment's file is complete (written by src/live/journal.ts). */
export function sealedMarkerOf(spoolPath: string): string {
  return `${spoolPath}.sealed`;
}

const JOB_COLUMNS = `id, status, source, format_requested, log_format, format, tz, file_name, sha256, gzip,
  bytes_total, bytes_processed, lines_processed, lines_ingested, lines_rejected, lines_skipped,
  records_ingested, min_timestamp, max_timestamp, attempts, error, created_at, started_at, finished_at, spool_removed_at,
  alert_evaluation,
  format_confidence, coalesce(format_warnings, '[]'::jsonb) AS format_warnings,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('name', l.layout, 'lines', l.lines) ORDER BY l.lines DESC, l.layout), '[]'::jsonb)
   FROM ingest_job_layouts l WHERE l.job_id = ingest_jobs.id) AS layouts`;

export interface NewJob {
  source: string;
  formatRequested: string;
  logFormat: string | null;
  /** The zone for timestamps without one, as zoneFromSpec names it (`UTC` by default). */
  tz: string;
  fileName: string | null;
  spoolPath: string;
  sha256: string;
  gzip: boolean;
  bytesTotal: number;
  forced: boolean;
}

/** Namespace of the two-key advisory locks that serialise uploads of one (source, content). */
const JOB_KEY_LOCK_SPACE = 7_402_008;

export type CreatedJob =
  | { outcome: 'created' | 'duplicate'; job: IngestJob }
  /** A failed job with the same key continues from its checkpoint with the new file; its old file can go. */
  | { outcome: 'resumed'; job: IngestJob; previous: { error: string | null; spoolPath: string } };

/**
 * Queues an upload. The key is (source, content): a job with the same key that is queued, running or
 * succeeded makes this a duplicate; else the newest failed one is resumed from its checkpoint with
 * the new file (same content, so its byte offset still points at the same line), which stores each
 * line once however often an upload is retried; else a new job. `forced` always makes a new job, on
 * purpose a second copy, and is never a duplicate or resumed.
 * The lock makes the look-up and the write one step per key: two identical uploads at once cannot
 * both resume the failed job or both insert (the partial unique index would refuse the second).
 */
export async function createJob(db: Db, job: NewJob): Promise<CreatedJob> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext($2 || E'\\n' || $3))`, [JOB_KEY_LOCK_SPACE, job.source, job.sha256]);
    if (!job.forced) {
      const existing = await tx.query<IngestJob>(
        `SELECT ${JOB_COLUMNS} FROM ingest_jobs WHERE source = $1 AND sha256 = $2 AND NOT forced AND status <> 'failed'`,
        [job.source, job.sha256],
      );
      if (existing.rows[0]) return { outcome: 'duplicate', job: existing.rows[0] };
      const resumed = await resumeFailedJob(tx, job);
      if (resumed) return resumed;
    }
    const inserted = await tx.query<IngestJob>(
      `INSERT INTO ingest_jobs (source, format_requested, log_format, tz, file_name, spool_path, sha256, gzip, bytes_total, forced)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       RETURNING ${JOB_COLUMNS}`,
      [job.source, job.formatRequested, job.logFormat, job.tz, job.fileName, job.spoolPath, job.sha256, job.gzip, job.bytesTotal, job.forced],
    );
    return { outcome: 'created', job: inserted.rows[0]! };
  });
}

/**
 * Queues the newest failed job with the upload's key again, on the new file. Its format and tz stay the
 * ones it started with (the checkpoint was reached with them, and one job's records share one reading); attempts start over so MAX_ATTEMPTS counts
 * this upload's run afresh. The error is cleared (the job is no longer failed) and returned to the uploader.
 */
async function resumeFailedJob(tx: Queryable, job: NewJob): Promise<CreatedJob | undefined> {
  const failed = await tx.query<{ id: string; error: string | null; spool_path: string }>(
    `SELECT id, error, spool_path FROM ingest_jobs WHERE source = $1 AND sha256 = $2 AND NOT forced AND status = 'failed'
     ORDER BY created_at DESC LIMIT 1`,
    [job.source, job.sha256],
  );
  const previous = failed.rows[0];
  if (!previous) return undefined;
  const res = await tx.query<IngestJob>(
    `UPDATE ingest_jobs SET status = 'queued', spool_path = $2, spool_removed_at = NULL, attempts = 0, error = NULL,
            finished_at = NULL, lease_owner = NULL, lease_until = NULL
     WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
    [previous.id, job.spoolPath],
  );
  return { outcome: 'resumed', job: res.rows[0]!, previous: { error: previous.error, spoolPath: previous.spool_path } };
}

/** The job as the API shows it: with the warnings its layout counts call for (src/ingest/formatReport.ts). */
export async function getJob(db: Queryable, id: string): Promise<IngestJob | undefined> {
  const res = await db.query<IngestJob>(`SELECT ${JOB_COLUMNS} FROM ingest_jobs WHERE id = $1`, [id]);
  return res.rows[0] && withCatchAllWarnings(res.rows[0]);
}

/**
 * Newest first, keyset-paginated on (created_at, id); each as getJob shows it. `source` and `sha256`
 * find the jobs of one content (the key of createJob): a client asks before sending a large file.
 */
export async function listJobs(
  db: Queryable,
  opts: {
    limit: number;
    status?: JobStatus | undefined;
    source?: string | undefined;
    sha256?: string | undefined;
    after?: { createdAt: string; id: string } | undefined;
  },
): Promise<IngestJob[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const column of ['status', 'source', 'sha256'] as const) {
    const value = opts[column];
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  if (opts.after) {
    params.push(opts.after.createdAt, opts.after.id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(opts.limit);
  const res = await db.query<IngestJob>(
    `SELECT ${JOB_COLUMNS} FROM ingest_jobs ${whereClause(where)}
     ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return res.rows.map(withCatchAllWarnings);
}

/**
 * Live segments of one source parsed at once. One parse thread bounded a source's flood (a segment seals
 * every 64 MB); two let its backlog use both cores of a small machine.
 */
const LIVE_SEGMENTS_PER_SOURCE = 2;
/**
 * A source's next segment is parsed beside a running one only when that one is sealed and this far
 * behind: a flood's backlog. A segment that has kept up (the usual case, sealed every 64 MB) ends a
 * moment after its seal; starting the next beside it would only hold two threads' memory at once.
 */
const LIVE_PARALLEL_BACKLOG_BYTES = 16 * 1024 * 1024;

/**
 * Claims the oldest queued job, or a running one whose lease expired (its process died).
 * FOR UPDATE SKIP LOCKED lets several processes claim concurrently without taking the same job.
 * `running`: the jobs the caller is running itself. Its own lease on one can lapse while it works
 * (renewals held up by a busy event loop, or by a database outage longer than the lease); claiming
 * that job again would run it twice in one process.
 */
export async function claimNextJob(
  db: Queryable, owner: string, leaseMs: number, running: readonly string[] = [], live = false,
): Promise<ClaimedJob | undefined> {
  const res = await db.query<ClaimedJob>(
    `UPDATE ingest_jobs SET status = 'running', lease_owner = $1,
            lease_until = now() + make_interval(secs => $2::double precision / 1000),
            attempts = attempts + 1, started_at = coalesce(started_at, now())
     WHERE id = (
       SELECT id FROM ingest_jobs j
       WHERE (status = 'queued' OR (status = 'running' AND lease_until < now())) AND id <> ALL($3::uuid[])
         AND (live_protocol IS NOT NULL) = $4
         -- A source's live segments oldest first, and at most LIVE_SEGMENTS_PER_SOURCE of them at once: a flood's
         -- backlog (sealed segments LIVE_PARALLEL_BACKLOG_BYTES behind) parsed beside the next, in two threads.
         -- Their batches take turns at the rollup upserts (ROLLUP_SOURCE_LOCK_CLASS): before that lock, up to 16
         -- jobs of one source at once deadlocked on the same rollup rows.
         AND (live_protocol IS NULL OR (
           NOT EXISTS (
             SELECT 1 FROM ingest_jobs o
             WHERE o.source = j.source AND o.live_protocol IS NOT NULL AND o.created_at < j.created_at
               AND (o.status = 'queued' OR (o.status = 'running' AND o.lease_until < now())))
           AND NOT EXISTS (
             SELECT 1 FROM ingest_jobs o
             WHERE o.source = j.source AND o.live_protocol IS NOT NULL AND o.id <> j.id
               AND o.status = 'running' AND o.lease_until >= now()
               AND NOT (o.sealed_at IS NOT NULL AND o.bytes_total - o.bytes_processed > ${LIVE_PARALLEL_BACKLOG_BYTES}))
           AND (SELECT count(*) FROM ingest_jobs o
                WHERE o.source = j.source AND o.live_protocol IS NOT NULL AND o.id <> j.id
                  AND o.status = 'running' AND o.lease_until >= now()) < ${LIVE_SEGMENTS_PER_SOURCE}))
       ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING ${JOB_COLUMNS}, spool_path, live_protocol`,
    [owner, leaseMs, running, live],
  );
  return res.rows[0];
}

/** Extends the leases of the jobs this process is working on. */
export async function renewLeases(db: Queryable, owner: string, leaseMs: number): Promise<void> {
  await db.query(
    `UPDATE ingest_jobs SET lease_until = now() + make_interval(secs => $2::double precision / 1000)
     WHERE lease_owner = $1 AND status = 'running'`,
    [owner, leaseMs],
  );
}

/** A process that owns the only connection to its data (PGlite) knows no one else runs its jobs. */
export async function requeueOrphanedJobs(db: Queryable): Promise<number> {
  const res = await db.query(`UPDATE ingest_jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL WHERE status = 'running'`);
  return res.rowCount;
}

export interface Checkpoint {
  format: string;
  formatConfidence: 'high' | 'low';
  formatWarnings: string[];
  bytesProcessed: number;
  linesProcessed: number;
  linesIngested: number;
  linesRejected: number;
  linesSkipped: number;
  recordsIngested: number;
  minTimestamp: string | null;
  maxTimestamp: string | null;
}

/**
 * Advances the job's checkpoint by one batch, inside the batch's transaction. The lease owner check
 * fences off a process whose lease expired and was reclaimed: its late batch rolls back.
 */
export async function advanceCheckpoint(tx: Queryable, jobId: string, owner: string, c: Checkpoint): Promise<void> {
  const res = await tx.query(
    `UPDATE ingest_jobs SET format = $3, bytes_processed = $4, lines_processed = $5,
            lines_ingested = lines_ingested + $6, lines_rejected = lines_rejected + $7,
            lines_skipped = lines_skipped + $8, records_ingested = records_ingested + $9,
            min_timestamp = least(min_timestamp, $10::timestamptz), max_timestamp = greatest(max_timestamp, $11::timestamptz),
            format_confidence = $12, format_warnings = $13::jsonb
     WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
    [jobId, owner, c.format, c.bytesProcessed, c.linesProcessed, c.linesIngested, c.linesRejected, c.linesSkipped,
      c.recordsIngested, c.minTimestamp, c.maxTimestamp, c.formatConfidence, JSON.stringify(c.formatWarnings)],
  );
  if (res.rowCount !== 1) throw new LeaseLostError(jobId);
}

/**
 * Adds a batch's lines per layout to the job's counts, inside the batch's transaction (after its
 * checkpoint check): a batch that commits counts its lines once, one that rolls back not at all.
 */
export async function addLayoutLines(tx: Queryable, jobId: string, layouts: readonly { name: string; lines: number }[]): Promise<void> {
  if (layouts.length === 0) return;
  await tx.query(
    `INSERT INTO ingest_job_layouts (job_id, layout, lines)
     SELECT $1, name, lines FROM unnest($2::text[], $3::bigint[]) AS t (name, lines)
     ON CONFLICT (job_id, layout) DO UPDATE SET lines = ingest_job_layouts.lines + excluded.lines`,
    [jobId, layouts.map((l) => l.name), layouts.map((l) => l.lines)],
  );
}

/**
 * The committed checkpoint of a job, or undefined when `owner` no longer holds its lease. A batch
 * transaction reads it first: after a lost connection the runner cannot tell whether its last COMMIT
 * landed, and a database crash can even lose a commit it acknowledged (batches commit with
 * synchronous_commit = off). The stored checkpoint is the truth the batch must continue from.
 */
export async function readCheckpoint(
  tx: Queryable, jobId: string, owner: string,
): Promise<{ bytesProcessed: number; linesProcessed: number } | undefined> {
  const res = await tx.query<{ bytes_processed: number; lines_processed: number }>(
    `SELECT bytes_processed, lines_processed FROM ingest_jobs WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
    [jobId, owner],
  );
  const row = res.rows[0];
  return row && { bytesProcessed: row.bytes_processed, linesProcessed: row.lines_processed };
}

/** The stored checkpoint is not where this run left it (a commit was lost); the job must restart from it. */
export class CheckpointMovedError extends Error {
  constructor(jobId: string, expected: number, stored: number) {
    super(`ingest job ${jobId}: stored checkpoint is at byte ${stored}, this run was at byte ${expected}; resuming from the stored one`);
  }
}

export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`lease on ingest job ${jobId} was lost to another process`);
  }
}

/**
 * Marks the job succeeded, provided its stored checkpoint is where the run ended: a database crash
 * can lose the last batches' commits (synchronous_commit = off) after the runner saw them succeed,
 * and the job must then resume, not end short. Safe to repeat after a lost connection: a job that
 * already succeeded is left as it is. The same UPDATE marks its alert evaluation pending: a crash
 * before the evaluation ran leaves it for the alert scheduler's next start (src/alerts/jobEvaluation.ts).
 */
export async function finishJob(
  db: Queryable, jobId: string, owner: string, end: { bytesProcessed: number; linesProcessed: number },
): Promise<void> {
  const res = await db.query(
    `UPDATE ingest_jobs SET status = 'succeeded', finished_at = now(), lease_owner = NULL, lease_until = NULL, error = NULL,
            alert_evaluation = '{"status": "pending"}'::jsonb
     WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND bytes_processed = $3 AND lines_processed = $4`,
    [jobId, owner, end.bytesProcessed, end.linesProcessed],
  );
  if (res.rowCount === 1) return;
  const now = await db.query<{ status: JobStatus; lease_owner: string | null; bytes_processed: number }>(
    'SELECT status, lease_owner, bytes_processed FROM ingest_jobs WHERE id = $1',
    [jobId],
  );
  const job = now.rows[0];
  if (job?.status === 'succeeded') return;
  if (job?.status === 'running' && job.lease_owner === owner) throw new CheckpointMovedError(jobId, end.bytesProcessed, job.bytes_processed);
  throw new LeaseLostError(jobId);
}

export async function failJob(db: Queryable, jobId: string, owner: string, error: string): Promise<void> {
  await db.query(
    `UPDATE ingest_jobs SET status = 'failed', finished_at = now(), lease_owner = NULL, lease_until = NULL, error = $3
     WHERE id = $1 AND lease_owner = $2`,
    [jobId, owner, error],
  );
}

/** Gives a job back to the queue after a transient failure; another attempt resumes from its checkpoint. */
export async function releaseJob(db: Queryable, jobId: string, owner: string, error: string): Promise<void> {
  await db.query(
    `UPDATE ingest_jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL, error = $3
     WHERE id = $1 AND lease_owner = $2`,
    [jobId, owner, error],
  );
}

/**
 * A live segment whose parse caught up and went quiet goes back to the queue, its checkpoint kept, so
 * that no thread waits on it; the runner takes it up again once it grows (or is sealed). Not a failed
 * attempt: the claim it used is given back.
 */
export async function parkJob(db: Queryable, jobId: string, owner: string): Promise<void> {
  await db.query(
    `UPDATE ingest_jobs SET status = 'queued', lease_owner = NULL, lease_until = NULL, attempts = greatest(attempts - 1, 0)
     WHERE id = $1 AND lease_owner = $2`,
    [jobId, owner],
  );
}

/** A job's rejected lines in line order, after `afterLineNo`; with `code`, only those of that code. */
export async function listRejectedLines(
  db: Queryable,
  jobId: string,
  opts: { limit: number; afterLineNo: number; code?: RejectionCode | undefined },
): Promise<RejectedLine[]> {
  const params: unknown[] = [jobId, opts.afterLineNo, opts.limit];
  const conditions = ['job_id = $1', 'line_no > $2'];
  if (opts.code !== undefined) conditions.push(`reason_code = $${params.push(opts.code)}`);
  const res = await db.query<RejectedLine>(
    `SELECT line_no, line_count, reason, reason_code AS code, detail, raw_log FROM rejected_lines
     ${whereClause(conditions)} ORDER BY line_no LIMIT $3`,
    params,
  );
  return res.rows.map((r) => ({ ...r, reason: rejectionReason(r.code, r.reason) }));
}

/** Most groups in one job's summary: the vocabulary has fewer codes; only lines rejected before codes, grouped by their reasons, can make more. */
export const MAX_REJECTION_GROUPS = 200;

/** A job's rejected lines grouped by code, most lines first, each with its first line and that line's detail. */
export async function summariseRejectedLines(db: Queryable, jobId: string): Promise<RejectionGroup[]> {
  // Lines from before codes (NULL code) group by their stored reason; coded lines by code alone, so
  // that a reworded phrase does not split a group. The example is the group's first line, found by
  // the primary key.
  const res = await db.query<RejectionGroup & { stored_reason: string }>(
    `SELECT g.code, r.reason AS stored_reason, g.lines, g.first_line_no, r.detail AS example_detail
     FROM (
       SELECT reason_code AS code, sum(line_count)::bigint AS lines, min(line_no) AS first_line_no
       FROM rejected_lines WHERE job_id = $1
       GROUP BY reason_code, CASE WHEN reason_code IS NULL THEN reason END
     ) g
     JOIN rejected_lines r ON r.job_id = $1 AND r.line_no = g.first_line_no
     ORDER BY g.lines DESC, g.first_line_no
     LIMIT $2`,
    [jobId, MAX_REJECTION_GROUPS],
  );
  return res.rows.map(({ stored_reason, ...g }) => ({ ...g, reason: rejectionReason(g.code, stored_reason) }));
}

/** Spool files that unfinished jobs still need (failed jobs keep theirs for FAILED_SPOOL_KEEP_HOURS, for a retry or a look). */
export async function spoolPathsInUse(db: Queryable): Promise<Set<string>> {
  const res = await db.query<{ spool_path: string }>(
    `SELECT spool_path FROM ingest_jobs WHERE status <> 'succeeded' AND spool_removed_at IS NULL`,
  );
  return new Set(res.rows.map((r) => r.spool_path));
}

/**
 * Marks the spool files of jobs that failed more than `keepMs` ago as removed and returns them, for the
 * caller to delete. Marked first: a crash before the delete leaves an orphan, which the orphan sweep
 * removes; a job resumed meanwhile is no longer failed and keeps its (new) file.
 */
export async function releaseFailedSpoolFiles(db: Queryable, keepMs: number): Promise<string[]> {
  const res = await db.query<{ spool_path: string }>(
    `UPDATE ingest_jobs SET spool_removed_at = now()
     WHERE status = 'failed' AND spool_removed_at IS NULL AND finished_at < now() - make_interval(secs => $1::double precision / 1000)
     RETURNING spool_path`,
    [keepMs],
  );
  return res.rows.map((r) => r.spool_path);
}

/** Whether any ingest job is queued or running: PGlite's background work waits until none is (one backend does everything). */
export async function ingestPending(db: Queryable): Promise<boolean> {
  const res = await db.query(`SELECT 1 FROM ingest_jobs WHERE status IN ('queued', 'running') LIMIT 1`);
  return res.rowCount > 0;
}

import crypto from 'node:crypto';
import type { Queryable } from '../db/db.js';

/** How a live segment's lines arrived (ingest_jobs.live_protocol). */
export type LiveProtocol = 'syslog-udp' | 'syslog-tcp' | 'elasticsearch' | 'loki' | 'otlp' | 'ship';

export interface NewSegment {
  source: string;
  protocol: LiveProtocol;
  /** The journal file the segment's lines are appended to. */
  path: string;
  /** The appending process (the journal's owner id) and how long its claim holds unrenewed. */
  appender: string;
  appenderMs: number;
}

/**
 * Queues a live segment as an ingest job: the runner claims it like an upload and parses its file as
 * it grows. Its key is unique by construction (`live:` and a random id), never a duplicate of an
 * upload. Its format is the source's, when one is set (source_formats); else it is detected from the
 * segment's first lines, as an upload's is from its sample.
 */
export async function createSegmentJob(db: Queryable, s: NewSegment): Promise<string> {
  const res = await db.query<{ id: string }>(
    `INSERT INTO ingest_jobs (source, format_requested, log_format, tz, file_name, spool_path, sha256, bytes_total, live_protocol,
                              appender, appender_until)
     SELECT $1, coalesce(f.format, 'auto'), f.log_format, coalesce(f.tz, 'UTC'), NULL, $2, $3, 0, $4, $5,
            now() + make_interval(secs => $6::double precision / 1000)
     FROM (SELECT 1) AS one LEFT JOIN source_formats f ON f.source = $1
     RETURNING id`,
    [s.source, s.path, `live:${crypto.randomUUID()}`, s.protocol, s.appender, s.appenderMs],
  );
  return res.rows[0]!.id;
}

/** Extends the appender's claim on the segments it still appends to. */
export async function renewAppender(db: Queryable, appender: string, appenderMs: number): Promise<void> {
  await db.query(
    `UPDATE ingest_jobs SET appender_until = now() + make_interval(secs => $2::double precision / 1000)
     WHERE appender = $1 AND live_protocol IS NOT NULL AND sealed_at IS NULL`,
    [appender, appenderMs],
  );
}

/** Records that nothing more is appended to the segment: its size is final, and its job ends at it. */
export async function markSealed(db: Queryable, jobId: string, bytes: number): Promise<void> {
  await db.query(
    'UPDATE ingest_jobs SET sealed_at = now(), bytes_total = $2, appender = NULL, appender_until = NULL WHERE id = $1 AND sealed_at IS NULL',
    [jobId, bytes],
  );
}

/**
 * Open segments whose appender is gone: its claim expired, or (`soleProcess`: no other process can
 * hold this database) any appender but `self`. Their files are sealed by the caller.
 */
export async function abandonedSegments(
  db: Queryable, self: string, soleProcess: boolean,
): Promise<{ id: string; path: string }[]> {
  const res = await db.query<{ id: string; path: string }>(
    `SELECT id, spool_path AS path FROM ingest_jobs
     WHERE live_protocol IS NOT NULL AND sealed_at IS NULL AND appender IS DISTINCT FROM $1
       AND ($2 OR appender IS NULL OR appender_until < now())
     ORDER BY created_at`,
    [self, soleProcess],
  );
  return res.rows;
}

/** Each segment's committed checkpoint (bytes_processed): the journal subtracts it from its own sizes for the backlog. */
export async function committedBytes(db: Queryable, jobIds: readonly string[]): Promise<Map<string, number>> {
  if (jobIds.length === 0) return new Map();
  const res = await db.query<{ id: string; bytes_processed: number }>(
    'SELECT id, bytes_processed FROM ingest_jobs WHERE id = ANY($1::uuid[])',
    [jobIds],
  );
  return new Map(res.rows.map((r) => [r.id, r.bytes_processed]));
}

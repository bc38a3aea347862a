-- Duplicate uploads are recognised per source (src/ingest/jobs.ts, createJob): the same file uploaded
-- for a second source is that source's data, not a duplicate. The old key (sha256 alone) answered
-- `duplicate_of` and silently stored nothing for the second source.
DROP INDEX ingest_jobs_sha256_key;
CREATE UNIQUE INDEX ingest_jobs_source_sha256_key ON ingest_jobs (source, sha256) WHERE NOT forced AND status <> 'failed';
-- A failed job is resumed by the next upload of the same content for the same source (instead of a
-- new job storing its committed part a second time): looked up by this.
CREATE INDEX ingest_jobs_failed_key_idx ON ingest_jobs (source, sha256, created_at) WHERE status = 'failed' AND NOT forced;

-- When housekeeping removed a failed job's spool file (FAILED_SPOOL_KEEP_HOURS after it failed). The
-- job keeps its checkpoint: an upload of the same content resumes it with the new file.
ALTER TABLE ingest_jobs ADD COLUMN spool_removed_at timestamptz;

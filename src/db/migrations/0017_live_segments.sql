-- Live ingestion (syslog today; the HTTP inputs next): lines that arrive over the network are
-- appended to a journal file per source on local disk (src/live/journal.ts), fsynced before the
-- sender is acknowledged, and each journal file — a segment — is an ingest job like an upload's spool
-- file, parsed by the same runner while it grows (src/ingest/parseSpoolFile.ts, follow mode). So live
-- lines get the upload's guarantees: each committed once with the job's checkpoint, a crash resumed
-- from it.
--   live_protocol: how the segment's lines arrived (`syslog-udp`, `syslog-tcp`); NULL for an upload.
--   sealed_at: when the journal stopped appending to the segment (its size is then final, in
--     bytes_total); the job ends once its checkpoint reaches that size. NULL while it still grows.
--   appender / appender_until: the process appending to the segment and until when that holds (it
--     renews it); a segment whose appender is gone is sealed by the next process that starts.
ALTER TABLE ingest_jobs
  ADD COLUMN live_protocol text,
  ADD COLUMN sealed_at timestamptz,
  ADD COLUMN appender text,
  ADD COLUMN appender_until timestamptz;
-- The journal's look-ups: a source's open segment, and segments left open by a process that is gone.
CREATE INDEX ingest_jobs_open_segments_idx ON ingest_jobs (source) WHERE live_protocol IS NOT NULL AND sealed_at IS NULL;

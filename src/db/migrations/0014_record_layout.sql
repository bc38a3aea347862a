-- Which layout read each record, and how sure the job's format detection was (issue 14).
--
-- Auto-detection reads a mixed file line by line with the layouts it found in lines spread through the
-- file; each record keeps the layout that read it, as the small id of src/parse/layoutIds.ts (an
-- append-only registry: 2 bytes a row, not the name). NULL for rows stored before this migration.
-- On the partitioned parent the column reaches every partition, existing and future (they are created
-- PARTITION OF logs, src/db/partitions.ts); without a default it is a catalogue change, no table rewrite.
ALTER TABLE logs ADD COLUMN layout smallint;

-- 'high' or 'low' (two layouts fit the sample and disagree on a field, or lines were read by a
-- catch-all that ignores fields); the warnings say what detection was unsure of. Set with `format` by
-- the job's batches; NULL until the first one commits (and for jobs from before this migration).
ALTER TABLE ingest_jobs
  ADD COLUMN format_confidence text CHECK (format_confidence IN ('high', 'low')),
  ADD COLUMN format_warnings   jsonb;

-- Lines of a job per layout that read them, added by each batch in the transaction that commits its
-- rows and checkpoint (src/ingest/runner.ts commitBatch), so each line counts once across crashes and resumes.
CREATE TABLE ingest_job_layouts (
  job_id uuid NOT NULL REFERENCES ingest_jobs (id) ON DELETE CASCADE,
  layout text NOT NULL,
  lines  bigint NOT NULL,
  PRIMARY KEY (job_id, layout)
);

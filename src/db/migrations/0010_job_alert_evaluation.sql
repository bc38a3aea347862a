-- How the alert rules were evaluated over a succeeded ingest job's event time (src/alerts/jobEvaluation.ts):
-- NULL until the job succeeds. The UPDATE that marks a job succeeded (finishJob) sets {"status": "pending"},
-- so a crash between success and evaluation loses nothing: the alert scheduler evaluates the jobs still
-- pending or running when it starts. Then: running, done or failed, with the event time evaluated and the
-- part left out (older than ALERT_SPAN_MAX before the job's last record).
ALTER TABLE ingest_jobs ADD COLUMN alert_evaluation jsonb;
-- The scheduler's look at start-up: a few rows at most among every job ever run.
CREATE INDEX ingest_jobs_alert_evaluation_idx ON ingest_jobs (finished_at)
  WHERE alert_evaluation->>'status' IN ('pending', 'running');

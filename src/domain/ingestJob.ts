export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

/**
 * How the alert rules were evaluated over a succeeded job's event time. Pending from the moment the
 * job succeeds; then running, and done or failed. The rules cover at most ALERT_SPAN_MAX of event
 * time back from the job's last record: what lies before is named in `not_evaluated`, for a backtest.
 */
export interface JobAlertEvaluation {
  status: 'pending' | 'running' | 'done' | 'failed';
  /** Event time of the records evaluated (ISO 8601); null when none was (no records, or all after now). Absent while pending. */
  evaluated_from?: string | null;
  evaluated_to?: string | null;
  /** Rules evaluated (those whose source filter admits the job's source), windows evaluated, episodes found for the first time. */
  rules?: number;
  steps?: number;
  episodes?: number;
  /** Event time of the job's records left out, and why; null when none was. */
  not_evaluated?: { from: string; to: string; reason: string } | null;
  /** Why a failed evaluation failed. */
  error?: string;
}

/**
 * An ingest job as stored and as the API shows it (GET /ingest/jobs). The dashboard reads it too
 * (src/ui imports this file's types), so it stays free of any import.
 */
export interface IngestJob {
  id: string;
  status: JobStatus;
  source: string;
  format_requested: string;
  log_format: string | null;
  format: string | null;
  /** The zone timestamps without one were read in: an IANA name or `±HH:MM`; `UTC` by default. */
  tz: string;
  /**
   * How sure the format is: 'low' when two layouts fit the sample and disagree on a field, or lines
   * were read by a catch-all preset that ignores fields. Null until the first batch commits.
   */
  format_confidence: 'high' | 'low' | null;
  /** What detection was unsure of, one sentence each; empty when sure (or not known yet). */
  format_warnings: string[];
  /** Lines of stored records per layout that read them, most first (auto mode reads a mixed file line by line). */
  layouts: { name: string; lines: number }[];
  file_name: string | null;
  sha256: string;
  gzip: boolean;
  bytes_total: number;
  bytes_processed: number;
  lines_processed: number;
  lines_ingested: number;
  lines_rejected: number;
  lines_skipped: number;
  records_ingested: number;
  min_timestamp: string | null;
  max_timestamp: string | null;
  attempts: number;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** When housekeeping removed the spool file of this failed job; an upload of the same content and source resumes it. */
  spool_removed_at: string | null;
  /** Null until the job succeeds (and for jobs that succeeded before this was recorded). */
  alert_evaluation: JobAlertEvaluation | null;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

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
}

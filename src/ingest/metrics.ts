import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What flows through ingestion. Labels are bounded: job outcome and database kind only. */
export interface IngestMetrics {
  linesIngested: Counter;
  linesRejected: Counter;
  linesSkipped: Counter;
  bytesProcessed: Counter;
  batchesWritten: Counter;
  batchCommitSeconds: Histogram;
  jobsFinished: Counter<'status'>;
  jobErrors: Counter<'kind'>;
  jobsRunning: Gauge;
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  const registers = [registry];
  return {
    linesIngested: new Counter({ name: 'loginsights_ingest_lines_ingested_total', help: 'Lines stored as log records', registers }),
    linesRejected: new Counter({ name: 'loginsights_ingest_lines_rejected_total', help: 'Lines kept as rejected, with a reason', registers }),
    linesSkipped: new Counter({ name: 'loginsights_ingest_lines_skipped_total', help: 'Empty lines skipped', registers }),
    bytesProcessed: new Counter({ name: 'loginsights_ingest_bytes_processed_total', help: 'Spool bytes parsed and committed', registers }),
    batchesWritten: new Counter({ name: 'loginsights_ingest_batches_written_total', help: 'Batches committed with their checkpoint', registers }),
    // A job's batches commit one after another: their sum against the wall clock says whether the database
    // write is what holds ingestion back (near 1 per job), or the parse (well below).
    batchCommitSeconds: new Histogram({
      name: 'loginsights_ingest_batch_commit_seconds', help: 'Time to write and commit one batch (its transaction, retries included)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
    }),
    jobsFinished: new Counter({ name: 'loginsights_ingest_jobs_finished_total', help: 'Ingest jobs ended, by status', labelNames: ['status'], registers }),
    jobErrors: new Counter({ name: 'loginsights_ingest_job_errors_total', help: 'Ingest job attempts that hit an error', labelNames: ['kind'], registers }),
    jobsRunning: new Gauge({ name: 'loginsights_ingest_jobs_running', help: 'Ingest jobs running in this process', registers }),
  };
}

import { Counter, Gauge, type Registry } from 'prom-client';

/** What flows through ingestion. Labels are bounded: job outcome and database kind only. */
export interface IngestMetrics {
  linesIngested: Counter;
  linesRejected: Counter;
  linesSkipped: Counter;
  bytesProcessed: Counter;
  batchesWritten: Counter;
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
    jobsFinished: new Counter({ name: 'loginsights_ingest_jobs_finished_total', help: 'Ingest jobs ended, by status', labelNames: ['status'], registers }),
    jobErrors: new Counter({ name: 'loginsights_ingest_job_errors_total', help: 'Ingest job attempts that hit an error', labelNames: ['kind'], registers }),
    jobsRunning: new Gauge({ name: 'loginsights_ingest_jobs_running', help: 'Ingest jobs running in this process', registers }),
  };
}

-- Core schema: ingest jobs, rejected lines, and the time-partitioned logs table.

-- Substring search (`q`) uses trigram indexes, built per partition in the background (src/search/searchIndexer.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE ingest_jobs (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  source           text NOT NULL,
  format_requested text NOT NULL,
  log_format       text,
  -- The format actually used (auto-detection's choice); set by the first committed batch.
  format           text,
  file_name        text,
  spool_path       text NOT NULL,
  sha256           text NOT NULL,
  gzip             boolean NOT NULL DEFAULT false,
  forced           boolean NOT NULL DEFAULT false,
  bytes_total      bigint NOT NULL,
  -- Checkpoint: every line before this byte offset / up to this line number is committed.
  bytes_processed  bigint NOT NULL DEFAULT 0,
  lines_processed  bigint NOT NULL DEFAULT 0,
  lines_ingested   bigint NOT NULL DEFAULT 0,
  lines_rejected   bigint NOT NULL DEFAULT 0,
  lines_skipped    bigint NOT NULL DEFAULT 0,
  records_ingested bigint NOT NULL DEFAULT 0,
  min_timestamp    timestamptz,
  max_timestamp    timestamptz,
  attempts         integer NOT NULL DEFAULT 0,
  -- The process working on the job and until when its claim holds; an expired lease is reclaimed.
  lease_owner      text,
  lease_until      timestamptz,
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  CHECK (lines_ingested + lines_rejected + lines_skipped = lines_processed)
);

-- Same content uploaded twice is one job, unless forced; a failed job does not block a retry upload.
CREATE UNIQUE INDEX ingest_jobs_sha256_key ON ingest_jobs (sha256) WHERE NOT forced AND status <> 'failed';
CREATE INDEX ingest_jobs_pending_idx ON ingest_jobs (created_at) WHERE status IN ('queued', 'running');
CREATE INDEX ingest_jobs_created_idx ON ingest_jobs (created_at DESC, id DESC);

CREATE TABLE rejected_lines (
  job_id     uuid NOT NULL REFERENCES ingest_jobs (id) ON DELETE CASCADE,
  line_no    bigint NOT NULL,
  line_count integer NOT NULL DEFAULT 1,
  reason     text NOT NULL,
  raw_log    text NOT NULL,
  PRIMARY KEY (job_id, line_no)
);

-- One row per stored record. Partitioned by day of event time so that retention drops whole
-- partitions instead of running a slow DELETE, and time-range queries touch only their days.
-- No foreign key to ingest_jobs: it would cost a lookup per COPYed row.
CREATE TABLE logs (
  id          bigserial NOT NULL,
  timestamp   timestamptz NOT NULL,
  log_level   text NOT NULL CHECK (log_level IN ('INFO', 'WARN', 'ERROR')),
  status_code smallint,
  method      text,
  endpoint    text,
  protocol    text,
  message     text NOT NULL,
  -- NULL when the log carries no timing; never 0 in place of unknown.
  latency_ms  double precision,
  client_ip   text,
  bytes_sent  bigint,
  user_agent  text,
  referer     text,
  host        text,
  source      text NOT NULL,
  job_id      uuid NOT NULL,
  line_no     bigint NOT NULL,
  line_count  integer NOT NULL DEFAULT 1,
  raw_log     text NOT NULL,
  PRIMARY KEY (timestamp, id)
) PARTITION BY RANGE (timestamp);

-- Every index costs ingest throughput (each COPYed row updates them all). Newest-first keyset
-- pagination walks the primary key backwards. Status filters that matter in practice ask for
-- errors: a partial index over 4xx/5xx rows serves them at a fraction of the upkeep of a full one
-- (a frequent status such as 200 is found quickly walking the time order anyway).
CREATE INDEX logs_error_status_time_idx ON logs (status_code, timestamp) WHERE status_code >= 400;
-- nextval() per COPYed row: a per-session cache saves a WAL record every 32 rows. Ids stay
-- unique, only not dense; keyset pagination needs nothing more.
ALTER SEQUENCE logs_id_seq CACHE 1000;

-- Bookkeeping per day partition: when it last received rows (the search indexer waits for it to go
-- quiet) and when its trigram index was built.
CREATE TABLE log_partitions (
  day              date PRIMARY KEY,
  table_name       text NOT NULL UNIQUE,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_write_at    timestamptz NOT NULL DEFAULT now(),
  search_indexed_at timestamptz
);

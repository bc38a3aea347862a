-- Analytics: each request's route, and per-minute / hour / day rollups maintained with every ingest batch.

-- The normalised endpoint (`/api/users/{id}`), computed at ingest (src/parse/routes.ts); NULL for
-- records without a request. `loginsights routes rebuild` recomputes it after a rule change.
ALTER TABLE logs ADD COLUMN route text;

-- User route rules (pattern → template), tried in `position` order before the built-in rules.
CREATE TABLE route_rules (
  id         bigserial PRIMARY KEY,
  pattern    text NOT NULL UNIQUE,
  template   text NOT NULL,
  position   integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A latency histogram is two arrays of equal length: bucket indexes ascending, and their counts
-- (no zero counts; src/domain/latencyHistogram.ts). This one puts any pieces of histograms (the
-- concatenation of several) into that canonical form, so that merged rollups are identical to ones
-- aggregated in a single pass.
CREATE FUNCTION latency_hist_canon(buckets integer[], counts integer[], OUT buckets integer[], OUT counts integer[])
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(bucket ORDER BY bucket), '{}'), coalesce(array_agg(n ORDER BY bucket), '{}')
  FROM (SELECT bucket, sum(n)::integer AS n FROM unnest($1, $2) AS pieces(bucket, n) GROUP BY bucket) AS merged
  WHERE n > 0
$$;

-- Concatenates the arrays of a group (the histogram pieces of one rollup key).
CREATE AGGREGATE int_array_cat(integer[]) (SFUNC = array_cat, STYPE = integer[], INITCOND = '{}');

-- Rollups at three resolutions, so that a query over any range reads whole days, hours and minutes
-- (and raw rows only for the seconds at its edges): cost grows with the range, not with the rows.
-- Minutes: one row per (bucket, source, route, method, status_code, log_level), NULL a value of its
-- own (NULLS NOT DISTINCT: error-log records have no route, method or status), upserted by each
-- batch. Latency sums are integer microseconds so that sums are exact and independent of the order
-- batches arrive in. The key's text columns use the "C" collation: the unique index compares bytes,
-- not locale rules, on every upsert.
CREATE TABLE rollups_1m (
  bucket          timestamptz NOT NULL,
  source          text COLLATE "C" NOT NULL,
  route           text COLLATE "C",
  method          text COLLATE "C",
  status_code     smallint,
  log_level       text COLLATE "C" NOT NULL,
  records         bigint NOT NULL,
  bytes_sent      bigint NOT NULL,
  latency_count   bigint NOT NULL,
  latency_sum_us  bigint NOT NULL,
  latency_max_ms  double precision,
  latency_buckets integer[] NOT NULL,
  latency_counts  integer[] NOT NULL,
  CONSTRAINT rollups_1m_key UNIQUE NULLS NOT DISTINCT (bucket, source, route, method, status_code, log_level)
);

-- Hours and days: a batch appends its part of each key (about 20 batches touch a day of a busy
-- file, and merging a day's histogram on every one of them cost ingestion a fifth of its speed);
-- compactRollups later merges the parts of each key into one row. Queries sum per key anyway, so
-- answers are exact before and after. No histograms at this grain: percentiles over hours and days
-- come from the per-route and per-source tables below, which have a fraction of the rows.
CREATE TABLE rollups_1h (
  bucket          timestamptz NOT NULL,
  source          text COLLATE "C" NOT NULL,
  route           text COLLATE "C",
  method          text COLLATE "C",
  status_code     smallint,
  log_level       text COLLATE "C" NOT NULL,
  records         bigint NOT NULL,
  bytes_sent      bigint NOT NULL,
  latency_count   bigint NOT NULL,
  latency_sum_us  bigint NOT NULL,
  latency_max_ms  double precision
);
CREATE INDEX rollups_1h_bucket_idx ON rollups_1h (bucket);
CREATE TABLE rollups_1d (LIKE rollups_1h);
CREATE INDEX rollups_1d_bucket_idx ON rollups_1d (bucket);

-- The same hours and days with fewer dimensions, for the questions that ask only per route or per
-- source (latency percentiles per route, per chart point, for the whole range): a month of days holds
-- tens of thousands of rows per (route, method, status, level) key but only a thousand per route and
-- thirty per source, and merging their histograms is most of what those answers cost. `requests`
-- counts records with a status code; `errors` and `client_errors` the 5xx and 4xx among them.
-- Appended as parts and compacted like the tables above.
CREATE TABLE route_rollups_1h (
  bucket          timestamptz NOT NULL,
  source          text COLLATE "C" NOT NULL,
  route           text COLLATE "C",
  records         bigint NOT NULL,
  requests        bigint NOT NULL,
  errors          bigint NOT NULL,
  client_errors   bigint NOT NULL,
  bytes_sent      bigint NOT NULL,
  latency_count   bigint NOT NULL,
  latency_sum_us  bigint NOT NULL,
  latency_max_ms  double precision,
  latency_buckets integer[] NOT NULL,
  latency_counts  integer[] NOT NULL
);
CREATE INDEX route_rollups_1h_bucket_idx ON route_rollups_1h (bucket);
CREATE TABLE route_rollups_1d (LIKE route_rollups_1h);
CREATE INDEX route_rollups_1d_bucket_idx ON route_rollups_1d (bucket);
CREATE TABLE source_rollups_1h (
  bucket          timestamptz NOT NULL,
  source          text COLLATE "C" NOT NULL,
  records         bigint NOT NULL,
  requests        bigint NOT NULL,
  errors          bigint NOT NULL,
  client_errors   bigint NOT NULL,
  bytes_sent      bigint NOT NULL,
  latency_count   bigint NOT NULL,
  latency_sum_us  bigint NOT NULL,
  latency_max_ms  double precision,
  latency_buckets integer[] NOT NULL,
  latency_counts  integer[] NOT NULL
);
CREATE INDEX source_rollups_1h_bucket_idx ON source_rollups_1h (bucket);
CREATE TABLE source_rollups_1d (LIKE source_rollups_1h);
CREATE INDEX source_rollups_1d_bucket_idx ON source_rollups_1d (bucket);
-- Per source also per minute, upserted like rollups_1m: a day's chart at 5-minute points reads 1,440
-- of these instead of every (route, method, status, level) row of every minute.
CREATE TABLE source_rollups_1m (
  LIKE source_rollups_1h,
  CONSTRAINT source_rollups_1m_key UNIQUE (bucket, source)
);

-- The busiest client addresses of each day and source, counted from the raw rows when compaction
-- merges the day (not by ingest: a row per address and day would be as large as the logs when
-- addresses rarely repeat). `floor` is the count of the first address left out (0: the list holds
-- every address of the day), so that a range's top clients come with a bound on what the lists
-- miss, as Elasticsearch's terms aggregation reports `doc_count_error_upper_bound`.
CREATE TABLE client_tops_1d (
  bucket        timestamptz NOT NULL,
  source        text COLLATE "C" NOT NULL,
  client_ip     text COLLATE "C" NOT NULL,
  requests      bigint NOT NULL,
  errors        bigint NOT NULL,
  client_errors bigint NOT NULL,
  bytes_sent    bigint NOT NULL,
  PRIMARY KEY (bucket, source, client_ip)
);
CREATE TABLE client_top_floors_1d (
  bucket timestamptz NOT NULL,
  source text COLLATE "C" NOT NULL,
  floor  bigint NOT NULL,
  PRIMARY KEY (bucket, source)
);

-- Hour and day buckets that received parts since they were last compacted: when first and when last.
CREATE TABLE rollup_dirty (
  rollup_table    text NOT NULL,
  bucket          timestamptz NOT NULL,
  first_marked_at timestamptz NOT NULL DEFAULT now(),
  last_marked_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rollup_table, bucket)
);

-- Distinct client addresses per hour and day and source, as HyperLogLog sketches (4096 one-byte
-- registers; src/domain/hyperLogLog.ts): addresses are too many to roll up one by one. Appended as
-- parts by each batch and merged by compaction, like the hour and day rollups.
CREATE TABLE client_sketches_1h (
  bucket    timestamptz NOT NULL,
  source    text COLLATE "C" NOT NULL,
  registers bytea NOT NULL
);
CREATE INDEX client_sketches_1h_bucket_idx ON client_sketches_1h (bucket);
CREATE TABLE client_sketches_1d (LIKE client_sketches_1h);
CREATE INDEX client_sketches_1d_bucket_idx ON client_sketches_1d (bucket);

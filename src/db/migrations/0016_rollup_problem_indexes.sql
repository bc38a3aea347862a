-- Analytics narrowed by level or status code (/analytics/traffic?level=ERROR, ?status_code=5xx, and
-- summary and endpoints alike) read the full-key hour and day rollups over whole hours, since the
-- per-route and per-source ones keep neither key. Without an index on them that read is every row of
-- the range: traffic?level=ERROR took 95–113 ms over a month of a 10.5M-line store (170,000 hour
-- rows), 3× its plain SQL over the raw rows, which have partial indexes for the same questions
-- (logs_problem_level_time_idx, logs_error_status_time_idx). These are their counterparts: the WARN
-- and ERROR rows, and the 4xx and 5xx rows (each about a third of the rows; INFO and 2xx/3xx cover
-- most of a range anyway), with every column a fact reads (src/analytics/facts.ts), so the read is an
-- index-only scan of the levels or codes asked for. compileFilter adds the literals
-- `log_level <> 'INFO'` and `status_code >= 400` the planner needs to use them whatever the
-- parameters. The hour and day rollups are written by compaction alone, never by ingest's COPY.
CREATE INDEX rollups_1h_problem_level_idx ON rollups_1h (log_level, bucket)
  INCLUDE (source, route, method, status_code, records, bytes_sent, latency_count, latency_sum_us, latency_max_ms)
  WHERE log_level <> 'INFO';
CREATE INDEX rollups_1d_problem_level_idx ON rollups_1d (log_level, bucket)
  INCLUDE (source, route, method, status_code, records, bytes_sent, latency_count, latency_sum_us, latency_max_ms)
  WHERE log_level <> 'INFO';
CREATE INDEX rollups_1h_error_status_idx ON rollups_1h (status_code, bucket)
  INCLUDE (source, route, method, log_level, records, bytes_sent, latency_count, latency_sum_us, latency_max_ms)
  WHERE status_code >= 400;
CREATE INDEX rollups_1d_error_status_idx ON rollups_1d (status_code, bucket)
  INCLUDE (source, route, method, log_level, records, bytes_sent, latency_count, latency_sum_us, latency_max_ms)
  WHERE status_code >= 400;

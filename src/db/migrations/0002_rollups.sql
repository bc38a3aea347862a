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
-- (no zero counts; src/domain/latencyHistogram.ts). This merges two into the same canonical form,
-- so an upserted rollup is identical to one aggregated in a single pass.
CREATE FUNCTION latency_hist_merge(a_buckets integer[], a_counts integer[], b_buckets integer[], b_counts integer[],
                                   OUT buckets integer[], OUT counts integer[])
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(bucket ORDER BY bucket), '{}'), coalesce(array_agg(n ORDER BY bucket), '{}')
  FROM (
    SELECT bucket, sum(n)::integer AS n
    FROM (SELECT * FROM unnest(a_buckets, a_counts) UNION ALL SELECT * FROM unnest(b_buckets, b_counts)) AS both_sides(bucket, n)
    GROUP BY bucket
  ) AS merged
$$;

-- Rollups at three resolutions, so that a query over any range reads whole days, hours and minutes
-- (and raw rows only for the seconds at its edges): cost grows with the range, not with the rows.
-- One row per (bucket, source, route, method, status_code, log_level); NULL is a value of its own
-- (NULLS NOT DISTINCT: error-log records have no route, method or status). Latency sums are integer
-- microseconds so that sums are exact and independent of the order batches arrive in. The key's text
-- columns use the "C" collation: the unique index compares bytes, not locale rules, on every upsert.
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
CREATE TABLE rollups_1h (LIKE rollups_1m);
ALTER TABLE rollups_1h ADD CONSTRAINT rollups_1h_key UNIQUE NULLS NOT DISTINCT (bucket, source, route, method, status_code, log_level);
CREATE TABLE rollups_1d (LIKE rollups_1m);
ALTER TABLE rollups_1d ADD CONSTRAINT rollups_1d_key UNIQUE NULLS NOT DISTINCT (bucket, source, route, method, status_code, log_level);

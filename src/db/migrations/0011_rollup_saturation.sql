-- Rollup sums never wrap and never fail (issue 13, #8). The parse layer bounds every duration and
-- size (src/parse/fieldBounds.ts), but a bucket's sums add up over any number of uploads: on bigint,
-- `a + b` past 2^63 − 1 raised "bigint out of range", which failed the batch (minute upsert) or every
-- compaction pass of the bucket, forever. Sums now saturate at the int64 bounds, as the COPY writer
-- does (src/ingest/binaryCopy.ts).
--
-- Addition of two bigints, saturating. Plain bigint arithmetic, no numeric: it runs for each column of
-- each merged minute row on the ingest path. The nested CASE decides the sign first, so `MAX - b` and
-- `MIN - b` cannot overflow themselves. A one-expression SQL function: the planner inlines it.
CREATE FUNCTION int8_add_saturating(a bigint, b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN b >= 0
    THEN CASE WHEN a > 9223372036854775807 - b THEN 9223372036854775807 ELSE a + b END
    ELSE CASE WHEN a < (-9223372036854775807 - 1) - b THEN -9223372036854775807 - 1 ELSE a + b END
  END
$$;

-- A bucket whose compaction failed stays dirty with why, and is skipped until retry_at (a back-off
-- that grows with `failures`); the other buckets are compacted meanwhile (src/ingest/compactRollups.ts).
-- Queries sum a bucket's parts anyway, so an uncompacted bucket still answers right.
ALTER TABLE rollup_dirty
  ADD COLUMN failures  integer NOT NULL DEFAULT 0,
  ADD COLUMN failed_at timestamptz,
  ADD COLUMN error     text,
  ADD COLUMN retry_at  timestamptz;

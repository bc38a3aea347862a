-- Substring search (`q`) on a partition that still receives rows (today's, under live ingestion). Its
-- trigram index is built only once it goes quiet (a GIN index maintained during COPY takes rows ~40×
-- slower), so until then it would be searched by a scan of the whole day. Instead each closed slice of
-- its time (SEARCH_SLICE_MS, 15 minutes) gets a partial trigram index `WHERE timestamp >= start AND
-- timestamp < end` as soon as the slice is past (on PostgreSQL, CONCURRENTLY): a search asks each slice
-- with exactly those bounds, so the planner can use its index, and scans only the slice still open.
-- A late row of a past slice is indexed as it arrives (the index covers its predicate, whenever the row
-- comes). Once the partition is quiet its whole-partition index is built and the slices are dropped.
CREATE TABLE log_search_slices (
  day          date NOT NULL REFERENCES log_partitions (day) ON DELETE CASCADE,
  slice_start  timestamptz NOT NULL,
  slice_end    timestamptz NOT NULL,
  PRIMARY KEY (day, slice_start)
);

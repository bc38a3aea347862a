-- A new_value alert rule asks, on every tick, whether each value of its field seen in the last
-- minutes occurs in any earlier day (src/alerts/series.ts, firstSeenPerMinute). Without these that
-- is a scan of every day rollup per value (17,000 rows a month at 10M lines, growing with retention);
-- with them, one index probe per value. Day rows are few (appended per batch, merged by compaction),
-- so ingestion barely pays for them.
CREATE INDEX rollups_1d_route_idx ON rollups_1d (route, bucket);
CREATE INDEX rollups_1d_status_code_idx ON rollups_1d (status_code, bucket);
CREATE INDEX rollups_1d_source_idx ON rollups_1d (source, bucket);

-- Substring search (`q`) on partitions without their trigram index (today's, under live ingestion;
-- any day until it goes quiet). Building a slice's index scans the whole partition twice, however
-- small the slice (measured: 14 s per scan of a 5 GB day), so slices cannot keep up with a busy day.
-- Instead every committed batch cuts its records into blocks and writes, in its own transaction, each
-- block's line range, time range and a Bloom filter of its raw text's trigrams (src/domain/trigramBloom.ts).
-- A search over such a partition reads the filters and then only the blocks that may match.
CREATE TABLE log_search_blocks (
  job_id     uuid NOT NULL,
  first_line bigint NOT NULL,
  last_line  bigint NOT NULL,
  min_ts     timestamptz NOT NULL,
  max_ts     timestamptz NOT NULL,
  bloom      bytea NOT NULL
);
-- Read bit by bit: kept in the row as it is (2 KB), never compressed or moved out of line.
ALTER TABLE log_search_blocks ALTER COLUMN bloom SET STORAGE PLAIN;
CREATE INDEX log_search_blocks_max_ts_idx ON log_search_blocks (max_ts);
-- Whether every row of the partition was written with its blocks: partitions created from now on
-- are; the rows already in one were not, so it is searched as before (slices, scans) until its
-- trigram index is built.
ALTER TABLE log_partitions ADD COLUMN search_blocks boolean NOT NULL DEFAULT true;
UPDATE log_partitions SET search_blocks = false;

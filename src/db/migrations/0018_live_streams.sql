-- Streams that `loginsights ship` sends (POST /ingest/stream): a followed file, named by the shipper
-- (its host and the file's fingerprint), and how far into it the server has taken its bytes. A batch
-- names its stream and the byte offset it starts at; the bytes below acked_to were journaled before,
-- so a batch sent again after a shipper's restart (acknowledged, but its state not yet saved) is not
-- stored twice.
--   acked_to: the stream's bytes [0, acked_to) are in the journal.
--   first_seen / last_seen: when a batch of the stream first and last arrived (old rows are pruned).
CREATE TABLE live_streams (
  stream text PRIMARY KEY,
  source text NOT NULL,
  acked_to bigint NOT NULL,
  first_seen timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now()
);

-- The format a live source's lines are parsed with, when its owner sets one (PUT /sources/{source}/format):
-- a preset, or nginx/apache with a pasted log_format, and the zone of timestamps written without one. Each
-- new segment of the source is queued with it (src/live/segments.ts); without a row, segments detect their
-- format from their first lines, as uploads in `auto` do.
CREATE TABLE source_formats (
  source     text PRIMARY KEY,
  format     text NOT NULL,
  log_format text,
  tz         text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

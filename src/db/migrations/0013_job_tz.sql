-- The time zone an ingest job reads timestamps that carry none in (the upload's `tz`: an IANA name or a
-- fixed offset such as +05:30; src/parse/zone.ts). Read from the row on every run, like format and
-- log_format, so a resumed job keeps the zone it started with. Jobs from before this column were all
-- read as UTC, which the default records; adding a column with a constant default rewrites no rows.
ALTER TABLE ingest_jobs ADD COLUMN tz text NOT NULL DEFAULT 'UTC';

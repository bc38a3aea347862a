-- A rejected line's reason becomes a code of a fixed vocabulary plus a detail (issue 14, #7;
-- src/domain/rejection.ts): `reason` holds the code's phrase, `detail` where and what in this line
-- (field or literal, an excerpt of the value, the column), so that a job's rejections group by code.
-- Rows written before keep their reason, which embeds the value, with a NULL code and detail.
ALTER TABLE rejected_lines ADD COLUMN reason_code text, ADD COLUMN detail text;
-- GET /ingest/jobs/{id}/rejected?code=X pages through one code's lines in line order. Without it a
-- page of a rare code reads every rejected line of the job (all of them, when the format was wrong).
CREATE INDEX rejected_lines_code_idx ON rejected_lines (job_id, reason_code, line_no);

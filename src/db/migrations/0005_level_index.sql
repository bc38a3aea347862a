-- Level filters (GET /logs?level=ERROR, the dashboard's error views) walk this instead of every row of
-- the range: newest first within the WARN and ERROR rows. Partial like logs_error_status_time_idx, so
-- ingestion pays only for the rows it holds (a few percent of an access log); searchLogs adds the
-- literal `log_level <> 'INFO'` so the planner can use it whatever the parameters are.
CREATE INDEX logs_problem_level_time_idx ON logs (log_level, timestamp) WHERE log_level <> 'INFO';

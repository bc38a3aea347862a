-- A partition of `logs` covers a UTC day or a UTC month (src/db/partitionPlan.ts): data far from its
-- upload's other lines goes into month partitions, so one job cannot create a partition per day of
-- a decade. `day` stays the start and the key; `end_day` is the exclusive end. The existing rows
-- are day partitions.
ALTER TABLE log_partitions ADD COLUMN end_day date;
UPDATE log_partitions SET end_day = day + 1;
-- Earlier versions created a day partition and recorded it in two transactions: a crash in between
-- left a table without its row. Recorded here, so that no month partition is planned over it.
INSERT INTO log_partitions (day, end_day, table_name)
SELECT to_date(substr(c.relname, 7), 'YYYYMMDD'), to_date(substr(c.relname, 7), 'YYYYMMDD') + 1, c.relname
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'logs'::regclass AND c.relname ~ '^logs_p[0-9]{8}$'
ON CONFLICT DO NOTHING;
ALTER TABLE log_partitions ALTER COLUMN end_day SET NOT NULL;
ALTER TABLE log_partitions ADD CONSTRAINT log_partitions_range_check CHECK (end_day > day AND end_day <= day + 31);

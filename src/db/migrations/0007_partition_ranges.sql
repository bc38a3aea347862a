-- A partition of `logs` covers a UTC day or a UTC month (src/db/partitionPlan.ts): data far from its
-- upload's other lines goes into month partitions, so one job cannot create a partition per day of
-- a decade. `day` stays the start and the key; `end_day` is the exclusive end. The existing rows
-- are day partitions.
ALTER TABLE log_partitions ADD COLUMN end_day date;
UPDATE log_partitions SET end_day = day + 1;
ALTER TABLE log_partitions ALTER COLUMN end_day SET NOT NULL;
ALTER TABLE log_partitions ADD CONSTRAINT log_partitions_range_check CHECK (end_day > day AND end_day <= day + 31);

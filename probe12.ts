import { parseSpoolFile } from './src/ingest/parseSpoolFile.ts';
import { openPostgres } from './src/db/postgres.ts';
import { migrate } from './src/db/migrator.ts';
import { ensureDayPartitions, partitionName } from './src/db/partitions.ts';
import { LOG_COPY_COLUMNS, type BatchMessage } from './src/ingest/batch.ts';
const batches: BatchMessage[] = [];
await parseSpoolFile({ jobId: '00000000-0000-4000-8000-000000000001', source: 's', spoolPath: '/tmp/p2.log', format: { format: 'auto' }, startOffset: 0, linesBefore: 0, batchRows: 20000, maxLineBytes: 65536 }, async (b) => { batches.push(b); });
const variants: Record<string, [string, boolean]> = {
  A_current: ['', false],
  F_all: ['DROP INDEX logs_status_time_idx; CREATE INDEX ON logs (status_code, timestamp) WHERE status_code >= 400; ALTER SEQUENCE logs_id_seq CACHE 1000', true],
  H_all_plainidx: ['DROP INDEX logs_status_time_idx; CREATE INDEX ON logs (status_code, timestamp) WHERE status_code >= 400; ALTER SEQUENCE logs_id_seq CACHE 1000; ALTER TABLE logs DROP CONSTRAINT logs_pkey; CREATE INDEX ON logs (timestamp)', true],
  I_all_plainidx2: ['DROP INDEX logs_status_time_idx; CREATE INDEX ON logs (status_code, timestamp) WHERE status_code >= 400; ALTER SEQUENCE logs_id_seq CACHE 1000; ALTER TABLE logs DROP CONSTRAINT logs_pkey; CREATE INDEX ON logs (timestamp, id)', true],
};
const res: Record<string, number[]> = {};
for (let round = 0; round < 3; round++) for (const [name, [sql, direct]] of Object.entries(variants)) {
  const db = await openPostgres({ connectionString: 'postgresql://postgres@127.0.0.1:5432/li_dev', statementTimeoutMs: 0 });
  await db.exec('DROP TABLE IF EXISTS logs, log_partitions, rejected_lines, ingest_jobs, schema_migrations CASCADE');
  await migrate(db);
  if (sql) await db.exec(sql);
  const known = new Set<string>();
  for (const b of batches) await ensureDayPartitions(db, b.days, known);
  await db.exec('CHECKPOINT');
  const t = process.hrtime.bigint();
  for (const b of batches) await db.transaction(async (tx) => { await tx.copyFrom(direct ? partitionName(b.days[0]!) : 'logs', LOG_COPY_COLUMNS, b.logs); });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  (res[name] ??= []).push(Math.round(200000 / s));
  await db.close();
}
for (const [k, v] of Object.entries(res)) console.log(k, v.join(' '), 'median', v.sort((a, b) => a - b)[1]);

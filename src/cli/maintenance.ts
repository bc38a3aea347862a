import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import { dropPartitionsBefore, partitionCoversSql } from '../db/partitions.js';
import { vacuumDueTables } from '../db/vacuum.js';
import { compactRollups } from '../ingest/compactRollups.js';
import { deleteRollupsBefore } from '../ingest/rollups.js';
import { ingestPending, releaseFailedSpoolFiles, spoolPathsInUse } from '../ingest/jobs.js';
import { removeOrphanSpoolFiles } from '../ingest/spool.js';
import { indexQuietPartitions } from '../search/searchIndexer.js';

const TICK_MS = 5_000;
/** Rollup parts of a bucket are merged once no batch wrote to it for this long, or at the latest after the second. */
const ROLLUP_QUIET_MS = 10_000;
const ROLLUP_MAX_DELAY_MS = 5 * 60_000;
const HOUSEKEEPING_EVERY_MS = 10 * 60_000;
const DAY_MS = 86_400_000;
const daysAgo = (days: number): string => new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 10);
/** An upload streaming for longer than this is not expected; its file is an orphan of a crash. */
const ORPHAN_SPOOL_AGE_MS = 6 * 3_600_000;

/**
 * Background upkeep on two timers, each one run at a time: merging the rollup parts that ingest
 * batches appended (every tick, so charts read merged rows soon after an upload), and the slower
 * work: substring-search indexes for partitions that went quiet (a build can take a minute per
 * partition, and must not hold back compaction), on PGlite autovacuum's work, and every few minutes retention (drop whole
 * partitions, delete old rollups) and orphaned spool files. stop() ends the runs in progress
 * between two statements and waits for them, so the database is not closed under them.
 */
export function startMaintenance(db: Db, config: Readonly<Config>, logger: Logger): { stop(): Promise<void> } {
  let lastHousekeeping = 0;
  const compaction = every(TICK_MS, logger, async (signal) => {
    const compacted = await compactRollups(db, {
      quietMs: ROLLUP_QUIET_MS, maxDelayMs: ROLLUP_MAX_DELAY_MS, signal,
      onBucketFailed: (f) => logger.warn(f, 'rollup bucket not compacted; left dirty and retried after a back-off'),
    });
    if (compacted) logger.debug({ buckets: compacted }, 'compacted hour and day rollups');
  });
  const upkeep = every(TICK_MS, logger, async (signal) => {
    // Retention first: an upload of old data must not have its partitions indexed just to be dropped.
    // Every few minutes, and at once when data past retention has arrived (an upload of old logs).
    if (Date.now() - lastHousekeeping >= HOUSEKEEPING_EVERY_MS || await pastRetention(db, config)) {
      lastHousekeeping = Date.now();
      await housekeeping(db, config, logger, signal);
    }
    if (signal.aborted) return;
    const indexed = await indexQuietPartitions(db, config.searchIndexIdleMs, undefined, signal);
    if (indexed.length) logger.info({ partitions: indexed }, 'built substring-search indexes');
    // PGlite has no autovacuum; its stand-in holds the one backend, so it waits for idle time like the index builds.
    if (db.kind === 'pglite' && !signal.aborted && !(await ingestPending(db))) {
      const tables = await vacuumDueTables(db, undefined, signal);
      if (tables.length) logger.info({ tables }, 'vacuumed or analysed tables (PGlite has no autovacuum)');
    }
  });
  return {
    async stop() {
      await Promise.all([compaction.stop(), upkeep.stop()]);
    },
  };
}

async function housekeeping(db: Db, config: Readonly<Config>, logger: Logger, signal: AbortSignal): Promise<void> {
  if (config.retentionDays > 0) {
    const dropped = await dropPartitionsBefore(db, daysAgo(config.retentionDays));
    if (dropped.length) logger.info({ partitions: dropped }, 'dropped partitions past retention');
  }
  if (signal.aborted) return;
  if (config.rollupRetentionDays > 0) {
    const deleted = await deleteRollupsBefore(db, daysAgo(config.rollupRetentionDays));
    if (deleted) logger.info({ rows: deleted }, 'deleted rollups past ROLLUP_RETENTION_DAYS');
  }
  if (signal.aborted) return;
  // A failed job's file is kept a while for a look or a retry; after that its re-upload resumes it.
  const failed = await releaseFailedSpoolFiles(db, config.failedSpoolKeepHours * 3_600_000);
  for (const file of failed) await fs.promises.rm(file, { force: true });
  if (failed.length) logger.info({ files: failed }, 'removed spool files of jobs failed over FAILED_SPOOL_KEEP_HOURS ago');
  const orphans = await removeOrphanSpoolFiles(config.spoolDir, await spoolPathsInUse(db), ORPHAN_SPOOL_AGE_MS);
  if (orphans.length) logger.info({ files: orphans }, 'removed spool files of uploads that never became jobs');
}

/** Whether a partition lies wholly before the retention horizon, or a day of rollups without its raw rows is past its own: two index probes. */
async function pastRetention(db: Db, config: Readonly<Config>): Promise<boolean> {
  const res = await db.query<{ due: boolean }>(
    `SELECT ($1::date IS NOT NULL AND EXISTS (SELECT 1 FROM log_partitions WHERE end_day <= $1::date))
         OR ($2::date IS NOT NULL AND EXISTS (
              SELECT 1 FROM rollups_1d t WHERE bucket < $2::date
                AND NOT ${partitionCoversSql("(t.bucket AT TIME ZONE 'UTC')::date")})) AS due`,
    [config.retentionDays > 0 ? daysAgo(config.retentionDays) : null, config.rollupRetentionDays > 0 ? daysAgo(config.rollupRetentionDays) : null],
  );
  return res.rows[0]?.due ?? false;
}

/**
 * Runs `work` every `ms`, skipping a tick while the previous run is still going; a failure is logged
 * and retried next tick. stop() aborts the signal, which work checks between its statements (a
 * statement running on PGlite cannot be interrupted), and waits for the run in progress.
 */
function every(ms: number, logger: Logger, work: (signal: AbortSignal) => Promise<void>): { stop(): Promise<void> } {
  const stopping = new AbortController();
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = work(stopping.signal)
      .catch((err: unknown) => logger.warn({ err }, 'maintenance failed; retrying at the next tick'))
      .finally(() => (running = null));
  }, ms);
  return {
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}

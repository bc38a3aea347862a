import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import { deleteRollupsBefore, dropPartitionsBefore, retentionDue, type RetentionHorizons } from '../db/retention.js';
import { vacuumDueTables } from '../db/vacuum.js';
import { compactRollups } from '../ingest/compactRollups.js';
import { ingestPending, releaseFailedSpoolFiles, spoolPathsInUse } from '../ingest/jobs.js';
import { removeOrphanSpoolFiles } from '../ingest/spool.js';
import { startLoop, type BackgroundLoop } from '../domain/backgroundLoop.js';
import { indexClosedSlices, indexQuietPartitions } from '../search/searchIndexer.js';

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
 * partition, and must not hold back compaction), where the database runs no autovacuum (PGlite) its work, and every few minutes retention (drop whole
 * partitions, delete old rollups) and orphaned spool files. stop() ends the runs in progress
 * between two statements and waits for them, so the database is not closed under them.
 */
export function startMaintenance(db: Db, config: Readonly<Config>, logger: Logger): { stop(): Promise<void> } {
  let lastHousekeeping = 0;
  // Each one run at a time; a failure is logged and retried at the next tick.
  const every = (run: (signal: AbortSignal) => Promise<void>): BackgroundLoop =>
    startLoop({ everyMs: TICK_MS, run, onError: (err) => logger.warn({ err }, 'maintenance failed; retrying at the next tick') });
  const compaction = every(async (signal) => {
    const compacted = await compactRollups(db, {
      quietMs: ROLLUP_QUIET_MS, maxDelayMs: ROLLUP_MAX_DELAY_MS, signal,
      onBucketFailed: (f) => logger.warn(f, 'rollup bucket not compacted; left dirty and retried after a back-off'),
    });
    if (compacted) logger.debug({ buckets: compacted }, 'compacted hour and day rollups');
  });
  const upkeep = every(async (signal) => {
    // Retention first: an upload of old data must not have its partitions indexed just to be dropped.
    // Every few minutes, and at once when data past retention has arrived (an upload of old logs).
    if (Date.now() - lastHousekeeping >= HOUSEKEEPING_EVERY_MS || await retentionDue(db, horizons(config))) {
      lastHousekeeping = Date.now();
      await housekeeping(db, config, logger, signal);
    }
    if (signal.aborted) return;
    const indexed = await indexQuietPartitions(db, config.searchIndexIdleMs, undefined, signal);
    if (indexed.length) logger.info({ partitions: indexed }, 'built substring-search indexes');
    const sliced = signal.aborted ? [] : await indexClosedSlices(db, undefined, signal);
    if (sliced.length) logger.info({ indexes: sliced }, 'built substring-search indexes of closed time slices of a growing partition');
    // No autovacuum (PGlite; a PostgreSQL run with it off): its stand-in. On one backend it holds the
    // backend, so it waits for idle time like the index builds.
    if (!db.autovacuum && !signal.aborted && !(db.singleBackend && await ingestPending(db))) {
      const tables = await vacuumDueTables(db, undefined, signal);
      if (tables.length) logger.info({ tables }, 'vacuumed or analysed tables (the database runs no autovacuum)');
    }
  });
  return {
    async stop() {
      await Promise.all([compaction.stop(), upkeep.stop()]);
    },
  };
}

async function housekeeping(db: Db, config: Readonly<Config>, logger: Logger, signal: AbortSignal): Promise<void> {
  const { logsBefore, rollupsBefore } = horizons(config);
  if (logsBefore) {
    const dropped = await dropPartitionsBefore(db, logsBefore);
    if (dropped.length) logger.info({ partitions: dropped }, 'dropped partitions past retention');
  }
  if (signal.aborted) return;
  if (rollupsBefore) {
    const deleted = await deleteRollupsBefore(db, rollupsBefore);
    if (deleted) logger.info({ rows: deleted }, 'deleted rollups past ROLLUP_RETENTION_DAYS');
  }
  if (signal.aborted) return;
  // A failed job's file is kept a while for a look or a retry; after that its re-upload resumes it.
  const failed = await releaseFailedSpoolFiles(db, config.failedSpoolKeepHours * 3_600_000);
  for (const file of failed) await fs.promises.rm(file, { force: true });
  if (failed.length) logger.info({ files: failed }, 'removed spool files of jobs failed over FAILED_SPOOL_KEEP_HOURS ago');
  const orphans = await removeOrphanSpoolFiles(config.spoolDir, await spoolPathsInUse(db), ORPHAN_SPOOL_AGE_MS);
  if (orphans.length) logger.info({ files: orphans }, 'removed spool files of uploads that never became jobs');
  // A stream `ship` has not sent for 30 days is gone (a shipper forgets its files after 7): its offset goes too.
  const streams = await db.query(`DELETE FROM live_streams WHERE last_seen < now() - interval '30 days'`);
  if (streams.rowCount) logger.info({ streams: streams.rowCount }, 'forgot ship streams not seen for 30 days');
}

/** Where retention cuts today; a setting of 0 keeps for ever. */
function horizons(config: Readonly<Config>): RetentionHorizons {
  return {
    logsBefore: config.retentionDays > 0 ? daysAgo(config.retentionDays) : null,
    rollupsBefore: config.rollupRetentionDays > 0 ? daysAgo(config.rollupRetentionDays) : null,
  };
}

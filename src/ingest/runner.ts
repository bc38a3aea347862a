import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
import { ensurePartitions, PartitionCache, touchPartitions } from '../db/partitions.js';
import { backoffMs, isRetryableDbError, retryTransient } from '../db/retry.js';
import { rowLevelDbError } from '../db/rowErrors.js';
import { LOG_COPY_COLUMNS, REJECT_COPY_COLUMNS, type BatchMessage } from './batch.js';
import { concatBinaryCopy } from './binaryCopy.js';
import {
  addLayoutLines, advanceCheckpoint, CheckpointMovedError, claimNextJob, failJob, finishJob, LeaseLostError, parkJob, readCheckpoint, releaseJob,
  renewLeases, requeueOrphanedJobs, sealedMarkerOf, type ClaimedJob,
} from './jobs.js';
import type { IngestMetrics } from './metrics.js';
import type { RouteRule } from '../parse/routes.js';
import { listRouteRules } from './routeRules.js';
import { ROLLUP_SOURCE_LOCK_CLASS, ROLLUP_WRITE_LOCK, upsertRollups } from './rollups.js';
import { writeSearchBlocks } from './searchBlocks.js';
import type { ParseFileInput, ParseOutcome } from './parseSpoolFile.js';
import { asRejectedLine, narrowIsolation, singleRecord, type IsolationWindow } from './isolation.js';
import { runParserWorker } from './parserWorker.js';
import { BATCH_CHANNEL, type BatchNotice } from '../domain/batchNotice.js';
import { startLoop, type BackgroundLoop } from '../domain/backgroundLoop.js';

export interface IngestRunnerOptions {
  db: Db;
  logger: Logger;
  metrics: IngestMetrics;
  concurrency: number;
  /**
   * Live segments (src/live/journal.ts) parsed at once, apart from `concurrency`: each one's job runs
   * as long as its segment grows, and must not hold an upload back (nor an upload it). Default 4: each
   * commits on a connection of its own (PostgreSQL's pool holds 10), and a quiet source's segment parks
   * and frees its slot; a source's segments run oldest first, two at once only while the older is a
   * flood's backlog (claimNextJob).
   */
  liveConcurrency?: number;
  batchRows: number;
  maxLineBytes: number;
  /** Route rules from the configuration; the API's rules (route_rules) follow them. */
  routeRules?: RouteRule[];
  leaseMs?: number;
  pollIntervalMs?: number;
  /** Called after a job succeeded (alert evaluation over the ingested time span). */
  onJobSucceeded?: (jobId: string) => void;
}

/**
 * A job is given up after this many claims. Claims count the deaths of the process running it too
 * (a killed process records nothing), so the limit sits far above the restarts one long ingest may
 * live through (deploys, crashes: at 10 it failed a 1M-line job killed 10 times while making
 * progress), while a poison job that kills the process every time still ends. Exact would be to
 * count only claims that made no progress; that needs a column of its own.
 */
const MAX_ATTEMPTS = 50;
const UNDEFINED_TABLE = '42P01';
/** How often a live segment's parse looks for appended lines once it has caught up. */
const LIVE_POLL_MS = 100;
/**
 * A live segment's parse that has found nothing new for this long parks (src/ingest/parseSpoolFile.ts):
 * its thread (with the heap and batch buffers a flood grew, ~100 MB) goes, and the segment is taken up
 * again when it grows. Memory then follows the sources sending now, not every segment left open.
 */
const LIVE_PARK_MS = 10_000;

/**
 * Claims queued ingest jobs and runs each in a worker thread; commits every batch together with the
 * job's checkpoint. Safe to run in several processes on one PostgreSQL (leases + SKIP LOCKED).
 */
export class IngestRunner {
  readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  private readonly active = new Map<string, Worker>();
  /** Jobs this process runs, from their claim on (their worker joins `active` a little later): live segment or not. */
  private readonly claimed = new Map<string, boolean>();
  /** Live segments parked by this process, with their size then: not claimed again until they grow or are sealed. */
  private readonly parked = new Map<string, { path: string; size: number }>();
  private readonly jobRuns = new Set<Promise<void>>();
  private readonly partitions = new PartitionCache();
  private stopping = false;
  /** Claims jobs at each poll and when woken; stop() waits for the claim in progress: a job it claims must be handed back too. */
  private claims: BackgroundLoop | undefined;
  private renewals: BackgroundLoop | undefined;
  private readonly leaseMs: number;

  constructor(private readonly opts: IngestRunnerOptions) {
    this.leaseMs = opts.leaseMs ?? 30_000;
  }

  async start(): Promise<void> {
    // This process is the only one that can open the data (PGlite), so "running" jobs are orphans.
    if (this.opts.db.soleProcess) await requeueOrphanedJobs(this.opts.db);
    this.claims = startLoop({
      everyMs: this.opts.pollIntervalMs ?? 1000,
      immediate: true,
      run: () => this.claimJobs(),
      onError: (err) => {
        this.opts.logger.warn({ err }, 'claiming ingest jobs failed');
        this.claims?.pause(backoffMs(3));
      },
    });
    this.renewals = startLoop({
      everyMs: this.leaseMs / 3,
      run: () => this.renew(),
      onError: (err) => this.opts.logger.warn({ err }, 'renewing ingest leases failed'),
    });
  }

  /** Looks for work now (called after an upload) instead of at the next poll; nothing while backing off. */
  wake(): void {
    this.claims?.wake();
  }

  get runningJobs(): number {
    return this.active.size;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.claims?.stop(), this.renewals?.stop()]);
    // Parsing stops at once; the batch being committed finishes (batches queued behind it are not
    // started, see parseAndWrite), so the job resumes from that batch's checkpoint.
    await Promise.all([...this.active.values()].map((w) => w.terminate()));
    // Let each interrupted job hand itself back to the queue before the database closes.
    await Promise.allSettled([...this.jobRuns]);
  }

  private async claimJobs(): Promise<void> {
    this.unparkGrown();
    for (const live of [false, true]) {
      const slots = live ? (this.opts.liveConcurrency ?? 4) : this.opts.concurrency;
      while (!this.stopping && [...this.claimed.values()].filter((l) => l === live).length < slots) {
        const job = await claimNextJob(this.opts.db, this.owner, this.leaseMs, [...this.claimed.keys(), ...this.parked.keys()], live);
        if (!job) break;
        this.claimed.set(job.id, live);
        const run = this.runJob(job).finally(() => this.jobRuns.delete(run));
        this.jobRuns.add(run);
      }
    }
  }

  /** Parked segments that grew, were sealed or are gone may be claimed again. */
  private unparkGrown(): void {
    for (const [id, p] of this.parked) {
      let grown = true;
      try {
        grown = fs.statSync(p.path).size > p.size || fs.existsSync(sealedMarkerOf(p.path));
      } catch {
        // gone: claiming it says what happened (the job fails on its missing file)
      }
      if (grown) this.parked.delete(id);
    }
  }

  private async renew(): Promise<void> {
    if (this.claimed.size > 0) await renewLeases(this.opts.db, this.owner, this.leaseMs);
  }

  private async runJob(job: ClaimedJob): Promise<void> {
    const log = this.opts.logger.child({ job_id: job.id });
    if (job.attempts > MAX_ATTEMPTS) {
      // If this fails too (database away), the lease expires and the next claim gives up again.
      await failJob(this.opts.db, job.id, this.owner, `gave up after ${MAX_ATTEMPTS} attempts; last error: ${job.error ?? 'none'}`)
        .catch((err: unknown) => log.warn({ err }, 'could not record that the ingest job was given up'));
      this.claimed.delete(job.id);
      return;
    }
    this.opts.metrics.jobsRunning.inc();
    // A live segment is taken up each time it grows after a quiet spell: that is not news.
    const resumedLive = job.live_protocol !== null && job.bytes_processed > 0;
    log[resumedLive ? 'debug' : 'info']({ attempt: job.attempts, from_byte: job.bytes_processed }, 'ingest job started');
    try {
      if (await this.parseAndWrite(job) === 'parked') {
        const size = await fs.promises.stat(job.spool_path).then((s) => s.size, () => 0);
        await retryTransient(() => parkJob(this.opts.db, job.id, this.owner), this.retryOptions(log));
        this.parked.set(job.id, { path: job.spool_path, size });
        log.debug({ at_byte: job.bytes_processed }, 'live segment parked until it grows');
        return;
      }
      const end = { bytesProcessed: job.bytes_processed, linesProcessed: job.lines_processed };
      await retryTransient(() => finishJob(this.opts.db, job.id, this.owner, end), this.retryOptions(log));
      this.opts.metrics.jobsFinished.inc({ status: 'succeeded' });
      log.info('ingest job succeeded');
      await fs.promises.rm(job.spool_path, { force: true });
      if (job.live_protocol !== null) await fs.promises.rm(sealedMarkerOf(job.spool_path), { force: true });
      this.opts.onJobSucceeded?.(job.id);
    } catch (err) {
      await this.handleFailure(job, err, log);
    } finally {
      this.active.delete(job.id);
      this.claimed.delete(job.id);
      this.opts.metrics.jobsRunning.dec();
      this.wake();
    }
  }

  private async handleFailure(job: ClaimedJob, err: unknown, log: Logger): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    if (this.stopping) {
      log.info('ingest job interrupted by shutdown; it resumes from its checkpoint');
      await releaseJob(this.opts.db, job.id, this.owner, 'interrupted by shutdown').catch(() => undefined);
    } else if (err instanceof LeaseLostError) {
      this.opts.metrics.jobErrors.inc({ kind: 'lease_lost' });
      log.warn('ingest job lease lost; another process continues it');
    } else if (isRetryableDbError(err) || err instanceof CheckpointMovedError) {
      this.opts.metrics.jobErrors.inc({ kind: 'retryable' });
      this.claims?.pause(backoffMs(job.attempts));
      log.warn({ err }, 'ingest job hit a transient database error; it will resume from its checkpoint');
      // If the database is still away this fails too; the lease then expires and the job is reclaimed.
      await releaseJob(this.opts.db, job.id, this.owner, message).catch(() => undefined);
    } else {
      this.opts.metrics.jobErrors.inc({ kind: 'fatal' });
      this.opts.metrics.jobsFinished.inc({ status: 'failed' });
      log.error({ err }, 'ingest job failed');
      await failJob(this.opts.db, job.id, this.owner, message).catch(() => undefined);
    }
  }

  /**
   * Runs the worker and commits its batches in order; resolves after the final batch is committed. A
   * batch the database refuses for a row's content is parsed again from the checkpoint, cut finer
   * (src/ingest/isolation.ts), until the refused record stands alone and is kept as a rejected line.
   */
  private async parseAndWrite(job: ClaimedJob): Promise<ParseOutcome> {
    // Rules are read when a job starts: a rule change applies to the jobs that start after it.
    const routeRules = [...(this.opts.routeRules ?? []), ...(await listRouteRules(this.opts.db))];
    // Claimed as shutdown began: no worker to start; the job goes back to the queue (handleFailure).
    if (this.stopping) throw new Error('ingest runner stopping');
    const input: ParseFileInput = {
      jobId: job.id,
      source: job.source,
      spoolPath: job.spool_path,
      format: { format: job.format_requested, logFormat: job.log_format ?? undefined, tz: job.tz },
      startOffset: job.bytes_processed,
      linesBefore: job.lines_processed,
      batchRows: this.opts.batchRows,
      maxLineBytes: this.opts.maxLineBytes,
      routeRules: routeRules.map(({ pattern, template }) => ({ pattern, template })),
      ...(job.live_protocol !== null ? { follow: { sealedPath: sealedMarkerOf(job.spool_path), pollMs: LIVE_POLL_MS, parkMs: LIVE_PARK_MS } } : {}),
    };
    let isolation: IsolationWindow[] = [];
    const write = async (b: BatchMessage): Promise<ParseFileInput | undefined> => {
      // Stopping: the batch is not started (its lines resume from the checkpoint at the next start).
      if (this.stopping) throw new Error('ingest runner stopping');
      try {
        await this.writeBatch(job, b);
        return undefined;
      } catch (err) {
        if (!(err instanceof BatchRefusedError)) throw err;
        const narrower = narrowIsolation(isolation, job.bytes_processed, b);
        if (!narrower) throw err.cause;
        isolation = narrower;
        return { ...input, startOffset: job.bytes_processed, linesBefore: job.lines_processed, isolation };
      }
    };
    return runParserWorker(input, write, (worker) => this.active.set(job.id, worker));
  }

  /**
   * How long work is retried in place after a transient database error (a restart, a failover): up
   * to one lease. Beyond that, another process may have taken the job over once the database is
   * back, and the job's own retry (release, reclaim, resume from the checkpoint) takes over.
   */
  private retryOptions(log: Logger): Parameters<typeof retryTransient>[1] {
    return {
      deadline: Date.now() + this.leaseMs,
      stop: () => this.stopping,
      onRetry: (err, attempt) => {
        this.opts.metrics.jobErrors.inc({ kind: 'retried' });
        log.warn({ err, attempt }, 'database unavailable; retrying');
      },
    };
  }

  private async writeBatch(job: ClaimedJob, batch: BatchMessage): Promise<void> {
    // PGlite runs in this thread and its promises resolve without I/O: batch after batch would run
    // as one chain of microtasks and starve HTTP requests. Yield to the event loop between batches.
    await new Promise((resolve) => setImmediate(resolve));
    let b = batch;
    const committed = this.opts.metrics.batchCommitSeconds.startTimer();
    try {
      await this.commitWithRetries(job, b);
    } catch (err) {
      const refused = rowLevelDbError(err);
      if (!refused) throw err;
      const record = singleRecord(b);
      if (!record) throw new BatchRefusedError(b, err);
      // The record stands alone and is still refused: it becomes a rejected line, in the same
      // transaction shape (rows, checkpoint, counts), so the job goes on and exactly-once holds.
      b = asRejectedLine(b, job.id, job.source, 'refused_by_database', `${refused.code} ${refused.message}`);
      this.opts.metrics.jobErrors.inc({ kind: 'row_refused' });
      this.opts.logger.warn({ job_id: job.id, line_no: record.lineNo, code: refused.code }, 'the database refused a record; kept as a rejected line');
      await this.commitWithRetries(job, b);
    }
    committed();
    const m = this.opts.metrics;
    m.linesIngested.inc(b.linesIngested);
    m.linesRejected.inc(b.linesRejected);
    m.linesSkipped.inc(b.linesSkipped);
    m.bytesProcessed.inc(Math.max(0, b.bytesProcessed - job.bytes_processed));
    job.bytes_processed = b.bytesProcessed;
    job.lines_processed = b.linesProcessed;
    m.batchesWritten.inc();
  }

  private async commitWithRetries(job: ClaimedJob, b: BatchMessage): Promise<void> {
    let partitionsRetried = false;
    // The worker waits for this batch's ack meanwhile, so a retry needs nothing but the batch in hand;
    // commitBatch's checkpoint check makes a repeat of a batch that did land a no-op.
    await retryTransient(async () => {
      try {
        await this.commitBatch(job, b);
      } catch (err) {
        // Retention (here or in another process) dropped a partition this process still had in its
        // cache: forget the cache, recreate, and commit again. The failed transaction wrote nothing.
        if ((err as { code?: string }).code !== UNDEFINED_TABLE || partitionsRetried) throw err;
        partitionsRetried = true;
        this.partitions.clear();
        await this.commitBatch(job, b);
      }
    }, this.retryOptions(this.opts.logger.child({ job_id: job.id })));
  }

  /**
   * One transaction: the batch's rows, its rejected lines, and the checkpoint they reach. It starts
   * from the stored checkpoint: at the batch's start it writes; already at its end (a repeat after a
   * lost connection whose COMMIT had landed) it writes nothing; anywhere else (an acknowledged commit
   * lost to a database crash) it throws CheckpointMovedError, and the job resumes from the stored one.
   */
  private async commitBatch(job: ClaimedJob, b: BatchMessage): Promise<void> {
    await ensurePartitions(this.opts.db, b.logs, this.partitions);
    // One COPY per partition: the days of a month partition (an upload of old logs) go together.
    const byTable = new Map<string, Uint8Array[]>();
    for (const d of b.logs) {
      const table = this.partitions.tableOf(d.day);
      let days = byTable.get(table);
      if (!days) byTable.set(table, (days = []));
      days.push(d.data);
    }
    // unflushedCommit, no WAL flush wait per batch: a commit lost to a database crash loses its rows and
    // its checkpoint together, and the check below sends the job back to that checkpoint; nothing is
    // lost or doubled. The final status update is a normal commit, which flushes everything before it.
    await this.opts.db.transaction(async (tx) => {
      // No lock needed between this read and advanceCheckpoint: only the lease owner moves the
      // checkpoint, and advanceCheckpoint fails if the lease changed hands in between.
      const stored = await readCheckpoint(tx, job.id, this.owner);
      if (!stored) throw new LeaseLostError(job.id);
      const atStart = stored.bytesProcessed === job.bytes_processed && stored.linesProcessed === job.lines_processed;
      if (!atStart) {
        if (stored.bytesProcessed === b.bytesProcessed && stored.linesProcessed === b.linesProcessed) return;
        throw new CheckpointMovedError(job.id, job.bytes_processed, stored.bytesProcessed);
      }
      // Shared: batches of several jobs commit side by side; a rollup rebuild takes it exclusively.
      await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [ROLLUP_WRITE_LOCK]);
      // Straight into the partition holding each day: PostgreSQL checks the partition bound, and skips routing every row.
      for (const [table, days] of byTable) await tx.copyFrom(table, LOG_COPY_COLUMNS, concatBinaryCopy(days), 'binary');
      if (b.rejects) await tx.copyFrom('rejected_lines', REJECT_COPY_COLUMNS, b.rejects, 'binary');
      if (b.rollups) {
        // One source's batches upsert the same rollup rows: they take turns here (see ROLLUP_SOURCE_LOCK_CLASS).
        await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ROLLUP_SOURCE_LOCK_CLASS, job.source]);
        await upsertRollups(tx, b.rollups);
      }
      if (b.searchBlocks) await writeSearchBlocks(tx, job.id, b.searchBlocks);
      // Lines per layout, with the rows that hold them: counted once, like the rows.
      await addLayoutLines(tx, job.id, b.layouts);
      await advanceCheckpoint(tx, job.id, this.owner, {
        format: b.format,
        formatConfidence: b.formatConfidence,
        formatWarnings: b.formatWarnings,
        bytesProcessed: b.bytesProcessed,
        linesProcessed: b.linesProcessed,
        linesIngested: b.linesIngested,
        linesRejected: b.linesRejected,
        linesSkipped: b.linesSkipped,
        recordsIngested: b.logRows,
        minTimestamp: b.minTimestamp,
        maxTimestamp: b.maxTimestamp,
      });
      await touchPartitions(tx, [...byTable.keys()]);
      // For live tails (src/search/tail.ts), in any process on this database: NOTIFY in a transaction
      // is delivered only on commit, so a listener never hears of rows it cannot read yet.
      if (b.logRows > 0 && b.minTimestamp && b.maxTimestamp) {
        const notice: BatchNotice = {
          job_id: job.id, source: job.source, first_line: job.lines_processed + 1, last_line: b.linesProcessed,
          min_timestamp: b.minTimestamp, max_timestamp: b.maxTimestamp,
        };
        await tx.query('SELECT pg_notify($1, $2)', [BATCH_CHANNEL, JSON.stringify(notice)]);
      }
    }, { unbounded: true, unflushedCommit: true });
  }
}

/** A batch failed for the content of one of its rows: the runner isolates that row (src/ingest/isolation.ts). */
class BatchRefusedError extends Error {
  constructor(readonly batch: BatchMessage, override readonly cause: unknown) {
    super('the database refused a row of the batch', { cause });
  }
}

import fs from 'node:fs';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { buildServer, type App } from '../api/server.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import { migrate } from '../db/migrator.js';
import { openDb } from '../db/open.js';
import { dropPartitionsBefore } from '../db/partitions.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { IngestRunner } from '../ingest/runner.js';
import { indexQuietPartitions } from '../search/searchIndexer.js';

export interface Service {
  app: App;
  db: Db;
  runner: IngestRunner | undefined;
  /** Listening address, e.g. http://127.0.0.1:8000 (after listen). */
  url: string;
  close(): Promise<void>;
}

const MAINTENANCE_INTERVAL_MS = 5_000;
const DAY_MS = 86_400_000;

/** Opens the database, applies migrations, starts ingestion and maintenance, and serves the API. */
export async function startService(config: Readonly<Config>, logger: Logger, opts: { listen?: boolean } = {}): Promise<Service> {
  fs.mkdirSync(config.spoolDir, { recursive: true });
  const db = await openDb(config);
  const applied = await migrate(db);
  if (applied.length) logger.info({ versions: applied }, 'applied database migrations');

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const runner = config.runWorkers
    ? new IngestRunner({
        db, logger, metrics: createIngestMetrics(registry), concurrency: config.ingestConcurrency,
        batchRows: config.ingestBatchRows, maxLineBytes: config.maxLineBytes, leaseMs: config.ingestLeaseMs,
      })
    : undefined;
  const app = await buildServer({ config, db, registry, onJobQueued: () => runner?.wake(), logger });
  await runner?.start();

  let maintenance: NodeJS.Timeout | undefined;
  let maintaining = false;
  if (config.runWorkers) {
    maintenance = setInterval(() => {
      if (maintaining) return;
      maintaining = true;
      void runMaintenance(db, config, logger).finally(() => (maintaining = false));
    }, MAINTENANCE_INTERVAL_MS);
  }

  let url = '';
  if (opts.listen !== false) url = await app.listen({ host: config.host, port: config.port });
  return {
    app, db, runner, url,
    async close() {
      clearInterval(maintenance);
      await app.close();
      await runner?.stop();
      await db.close();
    },
  };
}

/** Background upkeep: search indexes for quiet partitions, and retention by dropping whole days. */
async function runMaintenance(db: Db, config: Readonly<Config>, logger: Logger): Promise<void> {
  try {
    const indexed = await indexQuietPartitions(db, config.searchIndexIdleMs);
    if (indexed.length) logger.info({ partitions: indexed }, 'built substring-search indexes');
    if (config.retentionDays > 0) {
      const horizon = new Date(Date.now() - config.retentionDays * DAY_MS).toISOString().slice(0, 10);
      const dropped = await dropPartitionsBefore(db, horizon);
      if (dropped.length) logger.info({ partitions: dropped }, 'dropped partitions past retention');
    }
  } catch (err) {
    logger.warn({ err }, 'maintenance failed; retrying at the next interval');
  }
}

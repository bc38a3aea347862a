import fs from 'node:fs';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { startAlertEvaluation } from '../alerts/scheduler.js';
import { buildServer, type App } from '../api/server.js';
import { ConfigError, type Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import { migrate } from '../db/migrator.js';
import { openDb } from '../db/open.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { IngestRunner } from '../ingest/runner.js';
import { RouteNormaliser, RouteRuleError } from '../parse/routes.js';
import { registerSearchMetrics } from '../search/metrics.js';
import { startMaintenance } from './maintenance.js';

export interface Service {
  app: App;
  db: Db;
  runner: IngestRunner | undefined;
  /** Listening address, e.g. http://127.0.0.1:8000 (after listen). */
  url: string;
  close(): Promise<void>;
}

/** Opens the database, applies migrations, starts ingestion, alert evaluation and maintenance, and serves the API. */
export async function startService(config: Readonly<Config>, logger: Logger, opts: { listen?: boolean } = {}): Promise<Service> {
  checkRouteRules(config);
  fs.mkdirSync(config.spoolDir, { recursive: true });
  const db = await openDb(config);
  const applied = await migrate(db);
  if (applied.length) logger.info({ versions: applied }, 'applied database migrations');

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerSearchMetrics(registry, db);
  const alerts = config.runWorkers ? startAlertEvaluation(db, config, logger) : undefined;
  const runner = config.runWorkers
    ? new IngestRunner({
        db, logger, metrics: createIngestMetrics(registry), concurrency: config.ingestConcurrency,
        batchRows: config.ingestBatchRows, maxLineBytes: config.maxLineBytes, leaseMs: config.ingestLeaseMs,
        routeRules: config.routeRules, onJobSucceeded: (jobId) => alerts?.jobSucceeded(jobId),
      })
    : undefined;
  const app = await buildServer({ config, db, registry, onJobQueued: () => runner?.wake(), logger });
  await runner?.start();

  const maintenance = config.runWorkers ? startMaintenance(db, config, logger) : undefined;

  let url = '';
  if (opts.listen !== false) url = await app.listen({ host: config.host, port: config.port });
  return {
    app, db, runner, url,
    async close() {
      await app.close();
      await maintenance?.stop();
      await runner?.stop();
      await alerts?.stop();
      await db.close();
    },
  };
}

/** A configured route rule that does not compile stops the start, naming the variable. */
function checkRouteRules(config: Readonly<Config>): void {
  try {
    new RouteNormaliser(config.routeRules);
  } catch (err) {
    if (err instanceof RouteRuleError) throw new ConfigError(`ROUTE_RULES: ${err.message}`);
    throw err;
  }
}

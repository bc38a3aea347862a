import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { startAlertEvaluation } from '../alerts/scheduler.js';
import { listensEverywhere } from '../api/authDisabledGuard.js';
import { buildServer, type App } from '../api/server.js';
import { ensureBootstrapKey } from '../auth/apiKeys.js';
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
export async function startService(
  configured: Readonly<Config>, logger: Logger,
  opts: { listen?: boolean; announce?: (text: string) => void } = {},
): Promise<Service> {
  checkRouteRules(configured);
  fs.mkdirSync(configured.spoolDir, { recursive: true });
  const config = Object.freeze({ ...configured, secretKey: configured.secretKey ?? embeddedSecretKey(configured) });
  const db = await openDb(config);
  const applied = await migrate(db);
  if (applied.length) logger.info({ versions: applied }, 'applied database migrations');
  if (config.authDisabled) {
    logger.warn('AUTH_DISABLED=true: every request is served without an API key, as admin. Never expose this process beyond your own machine.');
    if (listensEverywhere(config.host)) {
      logger.warn(`AUTH_DISABLED=true with HOST=${config.host}: authentication is OFF ON ALL NETWORK INTERFACES. Anyone who can reach this machine `
        + 'reads and deletes everything, and requests for any Host name are accepted. Set HOST=127.0.0.1, or turn authentication on.');
    }
  }
  const bootstrap = await ensureBootstrapKey(db, config.adminApiKey);
  if (bootstrap.kind === 'generated') {
    (opts.announce ?? ((t: string) => process.stdout.write(t)))(
      `\n  No API key existed, so an admin key was created. It is shown this once and stored only as a hash:\n\n` +
      `      ${bootstrap.key}\n\n  Use it as 'Authorization: Bearer <key>'; create narrower keys with POST /auth/keys.\n\n`,
    );
  }

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

/**
 * The embedded default keeps a generated SECRET_KEY in DATA_DIR (mode 0600), so webhook signatures
 * stay the same across restarts. With PostgreSQL the configuration must name it (several processes).
 */
function embeddedSecretKey(config: Readonly<Config>): string | undefined {
  if (config.databaseUrl) return undefined;
  const file = path.join(config.dataDir, 'secret_key');
  fs.mkdirSync(config.dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
  }
  return fs.readFileSync(file, 'utf8').trim();
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

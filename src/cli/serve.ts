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
import { LiveJournal } from '../live/journal.js';
import { startSyslog, type SyslogListeners } from '../live/syslogServer.js';
import { RouteNormaliser, RouteRuleError } from '../parse/routes.js';
import { registerSearchMetrics } from '../search/metrics.js';
import { dataDirUse } from './dataDirUse.js';
import { startMaintenance } from './maintenance.js';

export interface Service {
  app: App;
  db: Db;
  runner: IngestRunner | undefined;
  /** The syslog listeners' ports, when SYSLOG_UDP_PORT or SYSLOG_TCP_PORT is set. */
  syslog: SyslogListeners | undefined;
  /** Listening address, e.g. http://127.0.0.1:8000 (after listen). */
  url: string;
  /**
   * Stops promptly: accepts nothing more, gives requests in flight SHUTDOWN_GRACE_MS, stops background
   * work between statements and ingestion after the batch being committed, then closes the database
   * (releasing an embedded DATA_DIR for the next process).
   */
  close(): Promise<void>;
}

/** Requests in flight at shutdown (an upload streaming in, a slow query) get this long before their connections are cut. */
const SHUTDOWN_GRACE_MS = 5_000;

/** Opens the database, applies migrations, starts ingestion, alert evaluation and maintenance, and serves the API. */
export async function startService(
  configured: Readonly<Config>, logger: Logger,
  opts: { listen?: boolean; announce?: (text: string) => void } = {},
): Promise<Service> {
  checkRouteRules(configured);
  fs.mkdirSync(configured.spoolDir, { recursive: true });
  const config = Object.freeze({ ...configured, secretKey: configured.secretKey ?? embeddedSecretKey(configured) });
  const db = await openDb(config, dataDirUse('serve'));
  try {
    return await serve(db, config, logger, opts);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

async function serve(
  db: Db, config: Readonly<Config>, logger: Logger, opts: { listen?: boolean; announce?: (text: string) => void },
): Promise<Service> {
  const applied = await migrate(db);
  if (applied.length) logger.info({ versions: applied }, 'applied database migrations');
  if (config.authDisabled) {
    logger.warn('AUTH_DISABLED=true: every request is served without an API key, as admin. Never expose this process beyond your own machine.');
    if (listensEverywhere(config.host)) {
      logger.warn(`AUTH_DISABLED=true with HOST=${config.host}: authentication is OFF ON ALL NETWORK INTERFACES. Anyone who can reach this machine `
        + 'reads and deletes everything, and requests for any Host name are accepted. Set HOST=127.0.0.1, or turn authentication on.');
    }
  }
  // ADMIN_API_KEY is stored before the port opens: a client that holds it must never meet a 401.
  // A generated key only after (see announceBootstrap).
  if (config.adminApiKey !== undefined) await announceBootstrap(db, config, logger, opts);

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
  const maintenance = config.runWorkers ? startMaintenance(db, config, logger) : undefined;
  // Started with the workers whether or not an input is on: it seals the segments a previous run left open.
  const journal = config.runWorkers ? new LiveJournal({ db, logger, dir: config.liveDir, onSegment: () => runner?.wake() }) : undefined;
  let syslog: SyslogListeners | undefined;
  let app: App | undefined;

  async function stop(): Promise<void> {
    // A process refused DATA_DIR from now on is told to try again in a few seconds.
    db.setLockState({ stopping: true });
    // app.close() stops accepting and waits for requests in flight; past the grace their connections
    // are cut (an upload cut off leaves no job and no spool file: spoolUpload removes its file on error).
    const cut = setTimeout(() => app?.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    // Side by side: background loops stop between statements and ingestion after the batch being
    // committed, while requests finish. All of them settle before the database closes under them.
    // Live inputs first take nothing more, then their open segments are sealed (parsed to the end by
    // the runner if it is still at them, else by the next start).
    const inputs = (async () => {
      await syslog?.close();
      await journal?.close();
    })();
    const stopped = await Promise.allSettled([app?.close(), inputs, maintenance?.stop(), runner?.stop(), alerts?.stop()]);
    clearTimeout(cut);
    const failed = stopped.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  try {
    app = await buildServer({
      config, db, registry, journal, onJobQueued: () => runner?.wake(), onRuleEvaluationQueued: () => alerts?.ruleEvaluationQueued(), logger,
    });
    await runner?.start();
    await journal?.start();
    if (journal && (config.syslogUdpPort !== undefined || config.syslogTcpPort !== undefined)) {
      syslog = await startSyslog({
        journal, logger, registry, host: config.syslogHost, udpPort: config.syslogUdpPort, tcpPort: config.syslogTcpPort,
        allowed: config.syslogAllowed, maxMessageBytes: config.maxLineBytes,
      });
    } else if (!journal && (config.syslogUdpPort !== undefined || config.syslogTcpPort !== undefined)) {
      logger.warn('SYSLOG_UDP_PORT/SYSLOG_TCP_PORT ignored with RUN_WORKERS=false: live inputs run in the processes that ingest');
    }
    let url = '';
    if (opts.listen !== false) {
      url = await app.listen({ host: config.host, port: config.port });
      db.setLockState({ url });
    }
    if (config.adminApiKey === undefined) await announceBootstrap(db, config, logger, opts);
    return {
      app, db, runner, syslog, url,
      async close() {
        try {
          await stop();
        } finally {
          await db.close();
        }
      },
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * Makes sure someone can administer the service, and says so. A generated admin key is printed once
 * and stored only as a hash, so it is made once the port is bound: made first, a start that then
 * failed to bind (port in use) printed a key amid the error, and the next start, finding a key, never
 * showed one again. Until it exists nobody holds a key, so a request in between loses nothing.
 */
async function announceBootstrap(
  db: Db, config: Readonly<Config>, logger: Logger, opts: { announce?: (text: string) => void },
): Promise<void> {
  const bootstrap = await ensureBootstrapKey(db, config.adminApiKey);
  if (bootstrap.kind === 'generated') {
    (opts.announce ?? ((t: string) => process.stdout.write(t)))(
      `\n  No API key existed, so an admin key was created. It is shown this once and stored only as a hash:\n\n` +
      `      ${bootstrap.key}\n\n  Use it as 'Authorization: Bearer <key>'; create narrower keys with POST /auth/keys.\n\n`,
    );
  } else if (bootstrap.kind === 'configured_revoked') {
    logger.warn({ key_id: bootstrap.id, revoked_at: bootstrap.revokedAt },
      `ADMIN_API_KEY was revoked on ${bootstrap.revokedAt.slice(0, 10)} (key id ${bootstrap.id}): it stays revoked; remove it from the configuration or create another admin key`);
  }
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

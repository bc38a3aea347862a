#!/usr/bin/env node
import os from 'node:os';
import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { readEnvironment } from '../config/env.js';
import { describeSettings } from '../config/settingsHelp.js';
import { migrate } from '../db/migrator.js';
import { openDb } from '../db/open.js';
import { dataDirUse } from './dataDirUse.js';
import { errorSentence } from './errorSentence.js';
import { ingestFiles } from './ingestCommand.js';
import { parseKeyId, parseScopes, runKeysCommand } from './keysCommand.js';
import { createLogger } from './logger.js';
import { packageVersion } from '../config/packageVersion.js';
import { parseDateOption, rebuildRangeProblem, runRebuild } from './rebuildCommand.js';
import { startService } from './serve.js';
import { runShip } from './shipCommand.js';
import { defaultStateDir } from '../ship/state.js';
import { describeStartup } from './startupSummary.js';
import { tailLogs } from './tailCommand.js';

/** Loads the configuration or stops with one line naming the bad variable. */
function configOrExit(): Readonly<Config> {
  try {
    return loadConfig(readEnvironment());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`loginsights: invalid configuration: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

/** The server a client command talks to: the given URL, else this configuration's HOST and PORT. */
function serverUrl(given: string | undefined): string {
  if (given) return given;
  const c = configOrExit();
  return `http://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`;
}

const program = new Command()
  .name('loginsights')
  .description('Log Insights: upload, parse, store and search Nginx/Apache logs')
  .version(packageVersion());

program
  .command('serve')
  .description('Run the API server (embedded database unless DATABASE_URL is set)')
  .addHelpText('after', () => `\n${describeSettings()}`)
  .action(async () => {
    const config = configOrExit();
    const logger = createLogger(config);
    const service = await startService(config, logger);
    logger.info({ startup: describeStartup(config, service.url) }, 'Log Insights is ready');
    // The first signal shuts down promptly (see Service.close); a second one exits at once, as a
    // crash would: the next start takes DATA_DIR over and interrupted jobs resume from their checkpoints.
    let closing = false;
    const shutdown = (signal: NodeJS.Signals): void => {
      if (closing) {
        console.error(`loginsights: second ${signal}: exiting at once, without finishing the shutdown`);
        process.exit(128 + os.constants.signals[signal]);
      }
      closing = true;
      logger.info({ signal }, `shutting down (${signal} again to exit at once)`);
      service.close().then(() => process.exit(0), (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit')
  .action(async () => {
    const config = configOrExit();
    const db = await openDb(config, dataDirUse('migrate'));
    try {
      const applied = await migrate(db);
      console.log(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database is up to date');
    } finally {
      await db.close();
    }
  });

program
  .command('ingest')
  .description('Upload log files to a running server, show progress, and wait for each job')
  .argument('<files...>', 'log files, plain or gzip')
  .option('-s, --source <source>', 'source name stored with every record')
  .option('-f, --format <format>', 'auto (default), a preset name, or nginx/apache with --log-format')
  .option('--log-format <string>', 'an nginx log_format or Apache LogFormat line')
  .option('--tz <zone>', 'time zone of timestamps written without one (error logs): IANA name such as Europe/Berlin, or +05:30; default UTC')
  .option('--force', 'ingest again even if the same content was uploaded before')
  .option('--server <url>', 'server URL (default: http://HOST:PORT from the configuration)')
  .option('--api-key <key>', 'an API key with the ingest scope (default: LOGINSIGHTS_API_KEY, then ADMIN_API_KEY)')
  .option('--no-progress', 'no progress bars')
  .action(async (files: string[], o: { source?: string; format?: string; logFormat?: string; tz?: string; force?: boolean; server?: string; apiKey?: string; progress: boolean }) => {
    const env = readEnvironment();
    const apiKey = o.apiKey ?? env.LOGINSIGHTS_API_KEY ?? env.ADMIN_API_KEY;
    process.exitCode = await ingestFiles(files, { ...o, server: serverUrl(o.server), apiKey });
  });

program
  .command('tail')
  .description('Follow newly ingested records on a running server (GET /logs/tail), filtered as GET /logs filters')
  .option('-s, --source <list>', 'one or a comma list of sources')
  .option('-l, --level <list>', 'INFO, WARN, ERROR or a comma list')
  .option('--status-code <list>', '500, 5xx, 400-499 or a comma list')
  .option('--route <route>', 'a normalised route, e.g. /api/users/{id}; repeat for several', (v: string, all: string[] = []) => [...all, v])
  .option('--endpoint <path>', 'exact path, or a prefix with a trailing *')
  .option('--method <list>', 'GET, POST, … or a comma list')
  .option('--q <text>', 'case-insensitive substring of the raw line')
  .option('--json', 'print each record as a line of JSON instead of its raw line')
  .option('--server <url>', 'server URL (default: http://HOST:PORT from the configuration)')
  .option('--url <url>', 'the same as --server')
  .option('--api-key <key>', 'an API key with the read scope (default: LOGINSIGHTS_API_KEY, then ADMIN_API_KEY)')
  .action(async (o: {
    source?: string; level?: string; statusCode?: string; route?: string[]; endpoint?: string; method?: string; q?: string; json?: boolean;
    server?: string; url?: string; apiKey?: string;
  }) => {
    const env = readEnvironment();
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.exitCode = await tailLogs(
      { ...o, server: serverUrl(o.server ?? o.url), apiKey: o.apiKey ?? env.LOGINSIGHTS_API_KEY ?? env.ADMIN_API_KEY },
      { stdout: process.stdout, stderr: process.stderr, signal: stop.signal },
    );
  });

program
  .command('ship')
  .description('Follow log files as tail -F does (rotation, new files, wildcards) and send their lines to a running server; resumes where it stopped')
  .argument('<files...>', "paths or shell wildcards in quotes ('/var/log/nginx/*.log'), looked at again every second")
  .requiredOption('-s, --source <source>', 'source name stored with every record')
  .option('--state-dir <dir>', 'where the read offsets are kept (default: $XDG_STATE_HOME/loginsights, else ~/.local/state/loginsights)')
  .option('--start-at <where>', 'files already there at the first start: from their beginning or their end', 'beginning')
  .option('--server <url>', 'server URL (default: http://HOST:PORT from the configuration)')
  .option('--api-key <key>', 'an API key with the ingest scope (default: LOGINSIGHTS_API_KEY, then ADMIN_API_KEY)')
  .action(async (files: string[], o: { source: string; stateDir?: string; startAt: string; server?: string; apiKey?: string }) => {
    if (o.startAt !== 'beginning' && o.startAt !== 'end') {
      console.error(`loginsights: --start-at takes beginning or end, not ${o.startAt}`);
      process.exit(2);
    }
    const env = readEnvironment();
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    process.exitCode = await runShip({
      files, source: o.source, server: serverUrl(o.server), apiKey: o.apiKey ?? env.LOGINSIGHTS_API_KEY ?? env.ADMIN_API_KEY,
      stateDir: o.stateDir ?? defaultStateDir(), startAtEnd: o.startAt === 'end',
    }, { stderr: process.stderr, signal: stop.signal });
  });

const keys = program.command('keys').description('Manage API keys on the database directly (when no admin key is at hand; refused while a server holds DATA_DIR)');
keys.command('create')
  .description('Create a key and print it once')
  .option('--name <name>', 'what the key is for', 'cli')
  .option('--scopes <list>', 'comma list of ingest, read, admin', parseScopes, ['admin'])
  .action(async (o: { name: string; scopes: ReturnType<typeof parseScopes> }) => {
    process.exitCode = await runKeysCommand(configOrExit(), 'create', o);
  });
keys.command('list').description('List active keys (prefix, name, scopes, times)')
  .action(async () => {
    process.exitCode = await runKeysCommand(configOrExit(), 'list', {});
  });
keys.command('revoke').description('Revoke a key by id (never the last active admin key)').argument('<id>', 'key id (from keys list)', parseKeyId)
  .action(async (id: number) => {
    process.exitCode = await runKeysCommand(configOrExit(), 'revoke', { id });
  });

for (const what of ['rollups', 'routes'] as const) {
  program
    .command(what)
    .description(what === 'rollups' ? 'Maintain the analytics rollups' : 'Maintain the routes of stored records')
    .command('rebuild')
    .description(
      what === 'rollups'
        ? 'Recompute the rollups of whole UTC days from the raw rows'
        : 'Recompute the route of stored records with the current rules, then their rollups',
    )
    .option('--from <date>', 'first day (ISO 8601; default: the oldest day with raw rows)', parseDateOption)
    .option('--to <date>', 'end, exclusive (ISO 8601; default: after the newest day)', parseDateOption)
    .action(async (o: { from?: Date; to?: Date }) => {
      const problem = rebuildRangeProblem(o);
      if (problem) {
        console.error(`loginsights: ${problem}`);
        process.exit(2);
      }
      await runRebuild(configOrExit(), what, o);
    });
}

try {
  await program.parseAsync();
} catch (err) {
  // A set-up error (port in use, DATABASE_URL wrong, DATA_DIR held): one sentence and its fix, no stack trace.
  const sentence = errorSentence(err, { databaseUrl: readEnvironment().DATABASE_URL });
  if (sentence === undefined) throw err;
  console.error(`loginsights: ${sentence}`);
  process.exit(2);
}

import path from 'node:path';
import type { Config } from '../config/config.js';
import type { LockOptions } from './dataDirLock.js';
import type { Db } from './db.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

/**
 * PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite in DATA_DIR/pglite, locked to
 * this process (`lock` names the command and the advice a refused process prints).
 */
export async function openDb(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'queryTimeoutMs'>, lock: Omit<LockOptions, 'name'> = {},
): Promise<Db> {
  if (config.databaseUrl) {
    return openPostgres({ connectionString: config.databaseUrl, statementTimeoutMs: config.queryTimeoutMs });
  }
  return openPglite({
    dataDir: `${config.dataDir}/pglite`, statementTimeoutMs: config.queryTimeoutMs,
    lock: { ...lock, name: `DATA_DIR ${path.resolve(config.dataDir)}` },
  });
}

import type { Config } from '../config/config.js';
import type { Db } from './db.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

/** PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite in DATA_DIR/pglite. */
export async function openDb(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'queryTimeoutMs'>): Promise<Db> {
  if (config.databaseUrl) {
    return openPostgres({ connectionString: config.databaseUrl, statementTimeoutMs: config.queryTimeoutMs });
  }
  return openPglite({ dataDir: `${config.dataDir}/pglite`, statementTimeoutMs: config.queryTimeoutMs });
}

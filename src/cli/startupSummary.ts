import path from 'node:path';
import type { Config } from '../config/config.js';

/** What a person needs to know once the service is up; logged as the `startup` field of one event. */
export interface StartupSummary {
  url: string;
  database: string;
  data_dir: string;
  auth: string;
  inputs: string[];
  dashboard: string;
  docs: string;
}

export function describeStartup(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'authDisabled' | 'runWorkers'>, url: string,
): StartupSummary {
  const uploads = config.runWorkers
    ? 'uploads (POST /logs/upload, loginsights ingest)'
    : 'uploads (POST /logs/upload; parsed by another process: RUN_WORKERS=false)';
  return {
    url,
    database: config.databaseUrl ? describePostgres(config.databaseUrl) : `embedded PGlite in ${path.join(config.dataDir, 'pglite')}`,
    data_dir: config.dataDir,
    auth: config.authDisabled
      ? 'OFF (AUTH_DISABLED=true): every request is served as admin; for experiments on this machine only'
      : 'API keys (Authorization: Bearer <key>)',
    inputs: [uploads],
    dashboard: `${url}/`,
    docs: `${url}/docs`,
  };
}

/** Where the database is, from DATABASE_URL without its password (a start-up line ends up in logs). */
export function describePostgres(databaseUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(databaseUrl);
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
  // libpq also takes the host (a socket directory) as ?host=; the URL's own then is empty.
  const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
  const port = parsed.port || '5432';
  const database = decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || 'postgres';
  const user = parsed.username ? `, as ${decodeURIComponent(parsed.username)}` : '';
  return `PostgreSQL ${host}:${port}/${database}${user}`;
}

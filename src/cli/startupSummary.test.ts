import { describe, expect, it } from 'vitest';
import { describePostgres, describeStartup } from './startupSummary.js';

describe('describeStartup', () => {
  const embedded = { databaseUrl: undefined, dataDir: '/srv/li', authDisabled: false, runWorkers: true };

  it('names the address, the embedded database in DATA_DIR, key authentication, the inputs and the docs', () => {
    expect(describeStartup(embedded, 'http://127.0.0.1:8000')).toEqual({
      url: 'http://127.0.0.1:8000',
      database: 'embedded PGlite in /srv/li/pglite',
      data_dir: '/srv/li',
      auth: 'API keys (Authorization: Bearer <key>)',
      inputs: ['uploads (POST /logs/upload, loginsights ingest)'],
      dashboard: 'http://127.0.0.1:8000/',
      docs: 'http://127.0.0.1:8000/docs',
    });
  });

  it('says loudly that authentication is off, and where uploads are parsed without workers', () => {
    const summary = describeStartup({ ...embedded, authDisabled: true, runWorkers: false }, 'http://127.0.0.1:8000');
    expect(summary.auth).toMatch(/^OFF \(AUTH_DISABLED=true\): every request is served as admin/);
    expect(summary.inputs).toEqual(['uploads (POST /logs/upload; parsed by another process: RUN_WORKERS=false)']);
  });
});

describe('describePostgres', () => {
  it('names host, port, database and user, never the password', () => {
    const text = describePostgres('postgresql://app:s3cr%40t@db.internal:6432/logs?sslmode=require');
    expect(text).toBe('PostgreSQL db.internal:6432/logs, as app');
    expect(text).not.toMatch(/s3cr/);
  });

  it('fills in what libpq would: default port and database, a socket directory given as ?host=', () => {
    expect(describePostgres('postgresql:///logs?host=/var/run/postgresql')).toBe('PostgreSQL /var/run/postgresql:5432/logs');
    expect(describePostgres('postgresql://li@localhost')).toBe('PostgreSQL localhost:5432/li, as li');
  });

  it('says only "PostgreSQL" for a URL it cannot take apart, rather than echo it (it may hold a password)', () => {
    expect(describePostgres('postgres://li:pw@/?host=/x')).toBe('PostgreSQL (DATABASE_URL)');
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { createLogger } from '../../src/cli/logger.js';
import { startService, type Service } from '../../src/cli/serve.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { DbKind } from '../../src/db/db.js';
import type { IngestJob } from '../../src/ingest/jobs.js';
import type { JobAlertEvaluation } from '../../src/domain/ingestJob.js';
import type { LogRow } from '../../src/domain/record.js';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createPostgresDatabase } from './db.js';
import { ADMIN_HEADERS, TEST_ADMIN_KEY, TEST_SECRET_KEY } from './env.js';

export interface TestService extends Service {
  config: Readonly<Config>;
  /** app.inject with the admin key, unless the request names its own authorization or x-api-key. */
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>;
  /** Uploads a file (or bytes) as the raw body; returns the parsed answer and status. */
  upload(body: Buffer | string, query?: Record<string, string>): Promise<{ status: number; body: UploadAnswer }>;
  waitForJob(id: string, timeoutMs?: number): Promise<IngestJob>;
  /**
   * Waits for the job's alert evaluation to end (done or failed) and returns the job: until then its
   * episodes are still being recorded, so history read earlier may be missing some.
   */
  waitForAlertEvaluation(id: string, timeoutMs?: number): Promise<IngestJob & { alert_evaluation: JobAlertEvaluation }>;
  getJson<T>(url: string): Promise<{ status: number; body: T }>;
}

export interface UploadAnswer {
  job_id: string;
  status_url: string;
  status: string;
  duplicate_of: string | null;
  resumed_from?: { lines_processed: number; error: string | null } | null;
  detail?: string;
}

/** A real service (database, migrations, ingest runner, API) on a fresh database of the given kind. */
export async function startTestService(
  kind: DbKind, env: Record<string, string> = {},
  opts: { listen?: boolean; logStream?: NodeJS.WritableStream; announce?: (text: string) => void } = {},
): Promise<TestService> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-test-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: kind === 'postgres' ? await createPostgresDatabase() : undefined,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    INGEST_BATCH_ROWS: '2000',
    ADMIN_API_KEY: TEST_ADMIN_KEY,
    SECRET_KEY: TEST_SECRET_KEY,
    ...env,
  });
  const logger = createLogger(config, opts.logStream);
  const service = await startService(config, logger, { listen: opts.listen ?? false, announce: opts.announce });
  const app = service.app;
  const inject = (opts: InjectOptions): Promise<LightMyRequestResponse> => {
    const own = opts.headers && ('authorization' in opts.headers || 'x-api-key' in opts.headers);
    return app.inject({ ...opts, headers: own ? opts.headers : { ...ADMIN_HEADERS, ...opts.headers } });
  };
  /**
   * Polls the job until `ended` holds of it; past the timeout, throws with `what` it still is. Polls go through the
   * admin key's rate limit (RATE_LIMIT_PER_MINUTE, 1,200): from every 50 ms to at most every 250 ms, so a file of
   * tests waiting on many jobs does not spend it before its own requests.
   */
  const pollJob = async (id: string, timeoutMs: number, ended: (job: IngestJob) => boolean, what: (job: IngestJob) => string): Promise<IngestJob> => {
    const deadline = Date.now() + timeoutMs;
    for (let waitMs = 50; ; waitMs = Math.min(waitMs * 1.25, 250)) {
      const res = await inject({ method: 'GET', url: `/ingest/jobs/${id}` });
      expect(res.statusCode).toBe(200);
      const job = res.json<IngestJob>();
      if (ended(job)) return job;
      if (Date.now() > deadline) throw new Error(`${what(job)} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  };
  return {
    ...service,
    config,
    inject,
    async close() {
      await service.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async upload(body, query = {}) {
      const qs = new URLSearchParams(query).toString();
      const res = await inject({
        method: 'POST',
        url: `/logs/upload${qs ? `?${qs}` : ''}`,
        payload: body,
        headers: { 'content-type': 'application/octet-stream' },
      });
      return { status: res.statusCode, body: res.json<UploadAnswer>() };
    },
    async getJson<T>(url: string) {
      const res = await inject({ method: 'GET', url });
      return { status: res.statusCode, body: res.json<T>() };
    },
    async waitForJob(id, timeoutMs = 60_000) {
      return pollJob(id, timeoutMs, (job) => job.status === 'succeeded' || job.status === 'failed', (job) => `job ${id} still ${job.status}`);
    },
    async waitForAlertEvaluation(id, timeoutMs = 60_000) {
      const job = await pollJob(
        id, timeoutMs, (j) => j.alert_evaluation?.status === 'done' || j.alert_evaluation?.status === 'failed',
        (j) => `alert evaluation of job ${id} not over (${JSON.stringify(j.alert_evaluation)})`,
      );
      return job as IngestJob & { alert_evaluation: JobAlertEvaluation };
    },
  };
}

/** Every record GET /logs returns for the query, in file order. */
export async function allRecords(svc: TestService, query: string): Promise<LogRow[]> {
  const items: LogRow[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: LogRow[]; next_cursor: string | null } } =
      await svc.getJson(`/logs?${query}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
  } while (cursor);
  return items.sort((a, b) => a.line_no - b.line_no);
}

/** Uploads and waits for the job to succeed; returns the number of records it stored. */
export async function uploadAndWait(svc: TestService, body: Buffer | string, source: string): Promise<number> {
  const up = await svc.upload(body, { source });
  expect(up.status).toBe(202);
  const job = await svc.waitForJob(up.body.job_id, 300_000);
  expect(job.status).toBe('succeeded');
  return job.records_ingested;
}

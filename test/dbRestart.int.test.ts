import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { prng, writeGeneratedLog } from '../bench/generate.js';
import type { IngestJob } from '../src/ingest/jobs.js';
import { ADMIN_HEADERS, needs, SOAK } from './helpers/env.js';
import { postgresBinaries, startPrivatePostgres, type PrivatePostgres } from './helpers/privatePostgres.js';
import { spawnServer, type ServerProcess } from './helpers/serverProcess.js';

/**
 * The database goes away in the middle of an ingest and comes back: the API says so at once (503),
 * and the job carries on and stores every line exactly once. Runs on a private PostgreSQL cluster,
 * never on the machine's shared server, which other tests are using.
 */
const LINES = SOAK ? 1_000_000 : 200_000;
const OUTAGES = SOAK ? 8 : 2;
/** While the database is away every request must be answered within this (no hanging on the pool). */
const ANSWER_WITHIN_MS = 5_000;
/** After the database is back, the job must move again well before its lease (30 s) could expire. */
const RESUME_WITHIN_MS = 15_000;
/** Soak only: the last outage outlasts the lease, so the runner gives the job up and claims it again. */
const LONG_OUTAGE_MS = 35_000;



const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function timedFetch(url: string, headers: Record<string, string> = {}): Promise<{ res: Response; ms: number }> {
  const started = Date.now();
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(ANSWER_WITHIN_MS * 2) });
  return { res, ms: Date.now() - started };
}

/** The job as the API shows it, or undefined while the API cannot read it (database away). */
async function tryJob(url: string, id: string): Promise<IngestJob | undefined> {
  const res = await fetch(`${url}/ingest/jobs/${id}`, { headers: ADMIN_HEADERS, signal: AbortSignal.timeout(ANSWER_WITHIN_MS * 2) });
  if (res.status === 503) return undefined;
  if (!res.ok) throw new Error(`GET job: ${res.status} ${await res.text()}`);
  return (await res.json()) as IngestJob;
}

async function expectUnavailable(url: string, headers: Record<string, string>, what: string): Promise<void> {
  const { res, ms } = await timedFetch(url, headers);
  const body = await res.text();
  expect(res.status, `${what}: ${body}`).toBe(503);
  expect(res.headers.get('content-type'), what).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(body), what).toMatchObject({ status: 503 });
  expect(ms, `${what} answered after ${ms} ms`).toBeLessThan(ANSWER_WITHIN_MS);
}

describe('PostgreSQL restarted during an ingest', needs(postgresBinaries), () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-dbrestart-'));
  const file = path.join(dir, 'access.log');
  let cluster: PrivatePostgres | undefined;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    writeGeneratedLog(file, { lines: LINES, seed: 11 });
    // Batches commit with synchronous_commit = off. The WAL writer flushes such commits every
    // wal_writer_delay; at its longest, an immediate stop (a crash, in effect) loses the last
    // acknowledged batches almost surely, and the runner must notice and resume before them.
    cluster = await startPrivatePostgres({ wal_writer_delay: '10s' });
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await cluster?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while the database is away, then completes the job exactly once', async () => {
    const pgCluster = cluster!;
    onTestFailed(() => console.log(`service output (end):\n${server?.output().slice(-6000) ?? ''}\nPostgreSQL log (end):\n${pgCluster.log().slice(-3000)}`));
    const seed = Number(process.env.FAULT_SEED ?? crypto.randomInt(2 ** 31));
    const rnd = prng(seed);
    // Sorted points in the file at which the database goes away; `fast` and `immediate` alternate.
    const points = Array.from({ length: OUTAGES }, () => 0.05 + rnd() * 0.85).sort((a, b) => a - b);
    console.log(`dbRestart: seed ${seed} (rerun with FAULT_SEED=${seed}), outages at ${points.map((p) => p.toFixed(3)).join(', ')}`);

    const content = fs.readFileSync(file);
    const databaseUrl = await pgCluster.createDatabase('li_restart');
    server = await spawnServer({
      DATABASE_URL: databaseUrl,
      DATA_DIR: path.join(dir, 'data'),
      INGEST_BATCH_ROWS: '5000',
      SEARCH_INDEX_IDLE_MS: '3600000',
    });
    const url = server.url;
    const up = await fetch(`${url}/logs/upload?source=dbrestart`, {
      method: 'POST', body: content, headers: { ...ADMIN_HEADERS, 'content-type': 'application/octet-stream' },
    });
    expect(up.status).toBe(202);
    const { job_id: jobId } = (await up.json()) as { job_id: string };

    const timings: string[] = [];
    for (const [i, point] of points.entries()) {
      let atStop: IngestJob;
      for (;;) {
        const job = await tryJob(url, jobId);
        if (job && (job.status === 'succeeded' || job.bytes_processed >= point * content.length)) {
          atStop = job;
          break;
        }
        await sleep(20 + rnd() * 30);
      }
      expect(atStop.status, 'the database went away before the job finished').toBe('running');

      const mode = i % 2 === 0 ? 'fast' : 'immediate';
      const stoppedAt = Date.now();
      await pgCluster.stop(mode);
      // /readyz shares one answer for a second: the outage shows once the answer from before it is that old.
      for (let t = 0; t < 20 && (await timedFetch(`${url}/readyz`)).res.status === 200; t++) await sleep(100);
      await expectUnavailable(`${url}/readyz`, {}, `GET /readyz (${mode})`);
      await expectUnavailable(`${url}/logs?limit=10`, ADMIN_HEADERS, `GET /logs (${mode})`);
      await expectUnavailable(`${url}/ingest/jobs/${jobId}`, ADMIN_HEADERS, `GET /ingest/jobs/:id (${mode})`);
      // A key the service has not seen lately cannot be checked now: "unavailable", not "unauthorized".
      const unseenKey = { authorization: `Bearer li_${crypto.randomBytes(32).toString('base64url')}` };
      await expectUnavailable(`${url}/logs?limit=10`, unseenKey, `GET /logs with an uncached key (${mode})`);
      // Stay away a little longer than one batch takes, so the runner meets the outage mid-batch or between batches.
      await sleep(SOAK && i === points.length - 1 ? LONG_OUTAGE_MS : 500 + rnd() * 1500);
      await pgCluster.start();
      const downMs = Date.now() - stoppedAt;

      // Moving again: the checkpoint passes where it stood at the first read after the restart.
      const backAt = Date.now();
      let first: IngestJob | undefined;
      let resumed: IngestJob | undefined;
      while (!resumed && Date.now() - backAt < RESUME_WITHIN_MS) {
        const job = await tryJob(url, jobId);
        first ??= job;
        if (job && first && (job.status === 'succeeded' || job.bytes_processed > first.bytes_processed)) resumed = job;
        else await sleep(100);
      }
      expect(resumed, `the job did not move on within ${RESUME_WITHIN_MS} ms of the database coming back`).toBeDefined();
      timings.push(`${mode} at ${atStop.bytes_processed} B: down ${downMs} ms, job moving again after ${Date.now() - backAt} ms`);
    }
    console.log(`dbRestart: ${timings.join('; ')}`);

    let job: IngestJob | undefined;
    for (;;) {
      job = await tryJob(url, jobId);
      if (job && (job.status === 'succeeded' || job.status === 'failed')) break;
      await sleep(100);
    }
    expect(job, server.output().slice(-4000)).toMatchObject({
      status: 'succeeded', lines_ingested: LINES, lines_rejected: 0, lines_skipped: 0, bytes_processed: content.length,
    });
    const ready = await timedFetch(`${url}/readyz`);
    expect(ready.res.status).toBe(200);
    expect(server.child.exitCode, 'the service survived the outages').toBeNull();
    // The runner retried batches in place (rather than only giving the job up to wait out its lease).
    const metrics = await (await fetch(`${url}/metrics`, { headers: ADMIN_HEADERS })).text();
    const retried = Number(/^loginsights_ingest_job_errors_total\{kind="retried"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
    expect(retried).toBeGreaterThan(0);
    console.log(`dbRestart: ${retried} retries in place, ${job.attempts} attempt(s) of the job`);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const res = await client.query<{ n: number; distinct_lines: number; line_sum: string; digest: string }>(
        `SELECT count(*)::int AS n, count(DISTINCT line_no)::int AS distinct_lines, sum(line_no)::text AS line_sum,
                md5(string_agg(raw_log, E'\\n' ORDER BY line_no)) AS digest
         FROM logs WHERE job_id = $1`,
        [jobId],
      );
      const expectedDigest = crypto.createHash('md5').update(content.subarray(0, content.length - 1)).digest('hex');
      expect(res.rows[0]).toEqual({
        n: LINES, distinct_lines: LINES, line_sum: String((LINES * (LINES + 1)) / 2), digest: expectedDigest,
      });
      const rolled = await client.query<{ n: number }>('SELECT sum(records)::int AS n FROM rollups_1d');
      expect(rolled.rows[0]!.n).toBe(LINES);
    } finally {
      await client.end();
    }
    server.child.kill('SIGTERM');
    await server.exited;
  }, SOAK ? 900_000 : 180_000);
});

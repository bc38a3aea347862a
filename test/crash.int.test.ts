import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeGeneratedLog } from '../bench/generate.js';
import type { Db } from '../src/db/db.js';
import { openPglite } from '../src/db/pglite.js';
import { openPostgres } from '../src/db/postgres.js';
import type { IngestJob } from '../src/ingest/jobs.js';
import { rebuildRollups } from '../src/ingest/rebuildRollups.js';
import { BACKENDS, createPostgresDatabase } from './helpers/db.js';
import { compactRollups } from '../src/ingest/compactRollups.js';
import { rollupSnapshot } from './helpers/rollups.js';
import { ADMIN_HEADERS } from './helpers/env.js';
import { spawnServer, type ServerProcess } from './helpers/serverProcess.js';

const LINES = 200_000;
const KILL_AT = [0.1, 0.4, 0.75];

async function jobStatus(url: string, id: string): Promise<IngestJob> {
  const res = await fetch(`${url}/ingest/jobs/${id}`, { headers: ADMIN_HEADERS });
  if (!res.ok) throw new Error(`GET job: ${res.status}`);
  return (await res.json()) as IngestJob;
}

describe.each(BACKENDS)('SIGKILL during a large ingest on %s', (kind) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-crash-'));
  const file = path.join(dir, 'access.log');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stores every line exactly once after repeated kills and restarts', async () => {
    writeGeneratedLog(file, { lines: LINES, seed: 7 });
    const content = fs.readFileSync(file);
    const env: Record<string, string> = {
      DATA_DIR: path.join(dir, 'data'),
      INGEST_BATCH_ROWS: '5000',
      INGEST_LEASE_MS: '2000',
      SEARCH_INDEX_IDLE_MS: '3600000',
    };
    if (kind === 'postgres') env.DATABASE_URL = await createPostgresDatabase();

    let server: ServerProcess = await spawnServer(env);
    const up = await fetch(`${server.url}/logs/upload?source=crash`, {
      method: 'POST', body: content, headers: { ...ADMIN_HEADERS, 'content-type': 'application/octet-stream' },
    });
    expect(up.status).toBe(202);
    const { job_id: jobId } = (await up.json()) as { job_id: string };

    const killedAt: number[] = [];
    for (const fraction of KILL_AT) {
      // Wait until the job has committed past this point, then kill without warning.
      for (;;) {
        const job = await jobStatus(server.url, jobId);
        if (job.status === 'succeeded' || job.bytes_processed >= fraction * content.length) {
          killedAt.push(job.bytes_processed);
          break;
        }
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      }
      server.child.kill('SIGKILL');
      await server.exited;
      server = await spawnServer(env);
    }
    let job: IngestJob;
    for (;;) {
      job = await jobStatus(server.url, jobId);
      if (job.status === 'succeeded' || job.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job, server.output()).toMatchObject({ status: 'succeeded', lines_ingested: LINES, lines_rejected: 0, lines_skipped: 0, bytes_processed: content.length });
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    expect(killedAt.some((b) => b > 0 && b < content.length)).toBe(true);
    server.child.kill('SIGTERM');
    await server.exited;

    const db: Db = kind === 'postgres'
      ? await openPostgres({ connectionString: env.DATABASE_URL!, statementTimeoutMs: 60_000 })
      : await openPglite({ dataDir: path.join(env.DATA_DIR!, 'pglite'), statementTimeoutMs: 60_000 });
    try {
      const res = await db.query<{ n: number; distinct_lines: number; line_sum: string; digest: string }>(
        `SELECT count(*)::int AS n, count(DISTINCT line_no)::int AS distinct_lines, sum(line_no)::text AS line_sum,
                md5(string_agg(raw_log, E'\\n' ORDER BY line_no)) AS digest
         FROM logs WHERE job_id = $1`,
        [jobId],
      );
      const expectedDigest = crypto.createHash('md5').update(content.subarray(0, content.length - 1)).digest('hex');
      expect(res.rows[0]).toEqual({
        n: LINES, distinct_lines: LINES, line_sum: String((LINES * (LINES + 1)) / 2), digest: expectedDigest,
      });
      // Rollups committed with each batch: after the kills they still count every line exactly once.
      const rolled = await db.query<{ n: number }>('SELECT sum(records)::int AS n FROM rollups_1d');
      expect(rolled.rows[0]!.n).toBe(LINES);
      await compactRollups(db);
      const incremental = await rollupSnapshot(db);
      await rebuildRollups(db);
      expect(await rollupSnapshot(db)).toEqual(incremental);
    } finally {
      await db.close();
    }
  }, 300_000);
});

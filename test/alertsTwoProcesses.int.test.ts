import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { at, logFile } from './helpers/burstLog.js';
import { createPostgresDatabase, postgres } from './helpers/db.js';
import { ADMIN_HEADERS, needs } from './helpers/env.js';
import { spawnServer, type ServerProcess } from './helpers/serverProcess.js';

interface Entry {
  rule_id: number;
  window_start: string;
  window_end: string;
  resolved_at: string | null;
}

// Two service processes on one PostgreSQL database, each ingesting and evaluating (ticks every
// second, and after each job): every episode must be recorded once.
describe('alert evaluation by two processes on one PostgreSQL', needs(postgres), () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-alerts2-'));
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const s of servers) s.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.once('exit', r)))));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records each episode once', async () => {
    const env = { DATABASE_URL: await createPostgresDatabase(), SPOOL_DIR: path.join(dir, 'spool'), ALERT_EVAL_INTERVAL: '1s', SEARCH_INDEX_IDLE_MS: '3600000' };
    servers.push(await spawnServer({ ...env, DATA_DIR: path.join(dir, 'a') }), await spawnServer({ ...env, DATA_DIR: path.join(dir, 'b') }));
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const rule = { kind: 'count', operator: '>', threshold: 50, window: '5m', severity: 'critical' };
    const ids: number[] = [];
    for (const source of ['one', 'two']) {
      const res = await fetch(`${a.url}/alerts/rules`, {
        method: 'POST', headers: { ...ADMIN_HEADERS, 'content-type': 'application/json' },
        body: JSON.stringify({ ...rule, name: source, filter: { status_code: '500', source } }),
      });
      ids.push(((await res.json()) as { id: number }).id);
    }
    // One upload through each process at the same time: both jobs' evaluations cover both rules.
    const upload = async (server: ServerProcess, source: string, text: string): Promise<string> => {
      const res = await fetch(`${server.url}/logs/upload?source=${source}&format=nginx_combined_timed`, {
        method: 'POST', body: text, headers: { ...ADMIN_HEADERS, 'content-type': 'application/octet-stream' },
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { job_id: string }).job_id;
    };
    const jobs = await Promise.all([upload(a, 'one', logFile({ burst: true, gap: false })), upload(b, 'two', logFile({ burst: true, gap: true }))]);
    for (const id of jobs) {
      for (let i = 0; ; i++) {
        const job = (await (await fetch(`${a.url}/ingest/jobs/${id}`, { headers: ADMIN_HEADERS })).json()) as { status: string };
        if (job.status === 'succeeded') break;
        expect(job.status).not.toBe('failed');
        if (i > 600) throw new Error(`job ${id} did not finish`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const history = async (): Promise<Entry[]> => ((await (await fetch(`${b.url}/alerts/history`, { headers: ADMIN_HEADERS })).json()) as { items: Entry[] }).items;
    let entries: Entry[] = [];
    for (let i = 0; i < 100 && entries.filter((e) => e.resolved_at !== null).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      entries = await history();
    }
    // A few more ticks of both processes change nothing.
    await new Promise((r) => setTimeout(r, 2_500));
    entries = await history();
    expect(entries.map((e) => [e.rule_id, e.window_start, e.window_end, e.resolved_at]).sort()).toEqual(
      ids.map((id) => [id, at(58), at(63), at(66)]).sort(),
    );
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { line, MIN } from '../../test/helpers/burstLog.js';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { evaluateSpan } from './evaluator.js';

const DAY = 24 * 60 * MIN;
const SPAN_MAX = 7 * DAY;
/** A count rule, a latency rule with the longest window there is, and an anomaly rule: one of each shape of cost. */
const RULES = [
  { name: 'errors', kind: 'count', filter: { status_code: '5xx', source: 'span' }, operator: '>', threshold: 0, window: '5m' },
  { name: 'slow week', kind: 'latency', filter: { source: 'span' }, operator: '>', threshold: 1_000, window: '7d' },
  { name: 'odd', kind: 'anomaly', filter: { status_code: '5xx', source: 'span' }, window: '5m', min_history: 3 },
];
const LONGEST_WINDOW = 7 * DAY;

describeBackends('alert evaluation after a job on %s', (kind) => {
  let svc: TestService;
  let logs = '';
  beforeAll(async () => {
    const logStream = new PassThrough();
    logStream.on('data', (d: Buffer) => (logs += d.toString()));
    svc = await startTestService(kind, { ALERT_EVAL_INTERVAL: '1d', LOG_LEVEL: 'info' }, { logStream });
    for (const rule of RULES) expect((await svc.inject({ method: 'POST', url: '/alerts/rules', payload: rule })).statusCode).toBe(201);
  });
  afterAll(async () => svc?.close());

  it('a job spanning 40 days has its last ALERT_SPAN_MAX evaluated and the rest reported on it', { timeout: 90_000 }, async () => {
    const now = Date.now();
    // A 500 forty days ago and one five minutes ago: a 40-day span, each rule's minutes over it about 57,600.
    const file = `${line(now - 40 * DAY, 500, '/api/old', '2.500')}\n${line(now - 5 * MIN, 500, '/api/new', '2.500')}\n`;
    const up = await svc.upload(file, { source: 'span', format: 'nginx_combined_timed' });
    const job = await svc.waitForJob(up.body.job_id);
    expect(job.status).toBe('succeeded');
    const { alert_evaluation: e, min_timestamp, max_timestamp } = await svc.waitForAlertEvaluation(job.id);
    const [minMs, maxMs] = [Date.parse(min_timestamp!), Date.parse(max_timestamp!)];
    expect(e).toMatchObject({ status: 'done', rules: RULES.length });
    expect(Date.parse(e.evaluated_to!)).toBe(maxMs);
    expect(Date.parse(e.evaluated_from!)).toBe(maxMs - SPAN_MAX);
    expect(e.not_evaluated).toEqual({
      from: new Date(minMs).toISOString(), to: e.evaluated_from,
      reason: "older than ALERT_SPAN_MAX (7d) before the job's last record; backtest the rules over it (31 days at a time)",
    });
    // One step per rule and minute of the week evaluated (and of the window after it, up to now): not the 40 days.
    expect(e.steps).toBeGreaterThanOrEqual(RULES.length * (SPAN_MAX / MIN));
    expect(e.steps).toBeLessThanOrEqual(RULES.length * ((SPAN_MAX + LONGEST_WINDOW) / MIN));
    // Today's 500 is an episode of the count rule; the one 40 days ago is not evaluated.
    expect(e.episodes).toBeGreaterThanOrEqual(1);
    const history = (await svc.getJson<{ items: { rule_name: string; window_end: string }[] }>('/alerts/history?limit=100')).body.items;
    expect(history.filter((h) => h.rule_name === 'errors').map((h) => Date.parse(h.window_end) > maxMs)).toEqual([true]);
    const cut = logs.split('\n').filter((l) => l.includes(job.id) && l.includes('ALERT_SPAN_MAX'));
    expect(cut).toHaveLength(1);
    const logged = JSON.parse(cut[0]!) as { level: number; not_evaluated_from: string; alert_span_max: string };
    expect(logged).toMatchObject({ level: 30, alert_span_max: '7d' });
    expect(Date.parse(logged.not_evaluated_from)).toBe(minMs);
  });

  it('a job that succeeded shows its evaluation pending, then done; one without records is done at once', async () => {
    const up = await svc.upload('\n\nnot a log line\n', { source: 'span', format: 'nginx_combined_timed' });
    const job = await svc.waitForJob(up.body.job_id);
    expect(job.status).toBe('succeeded');
    expect(['pending', 'running', 'done']).toContain(job.alert_evaluation?.status);
    expect((await svc.waitForAlertEvaluation(job.id)).alert_evaluation).toEqual({
      status: 'done', evaluated_from: null, evaluated_to: null, rules: 0, steps: 0, episodes: 0, not_evaluated: null,
    });
  });

  it('evaluateSpan over a span from 1970 to now evaluates the last ALERT_SPAN_MAX and names the rest', { timeout: 90_000 }, async () => {
    const now = Date.now();
    const r = await evaluateSpan(svc.db, { fromMs: 0, toMs: now, source: 'span' }, now, { notifyMaxAgeMs: 15 * MIN, spanMaxMs: SPAN_MAX });
    expect(r).toMatchObject({ rules: RULES.length, aborted: false, evaluated: { fromMs: now - SPAN_MAX, toMs: now }, notEvaluated: { fromMs: 0, toMs: now - SPAN_MAX } });
    expect(r.steps).toBeLessThanOrEqual(RULES.length * ((SPAN_MAX + LONGEST_WINDOW) / MIN));
    // Stopped by its signal, it ends at the first chunk's end instead.
    const stop = new AbortController();
    stop.abort();
    const stopped = await evaluateSpan(svc.db, { fromMs: 0, toMs: now, source: 'span' }, now, { notifyMaxAgeMs: 15 * MIN, spanMaxMs: SPAN_MAX, signal: stop.signal });
    expect(stopped).toMatchObject({ aborted: true, rules: 1 });
    expect(stopped.steps).toBeLessThanOrEqual(1_440);
  });
});

describeBackends('an unfinished alert evaluation on %s', (kind) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-alert-restart-'));
  let first: TestService | undefined;
  let second: TestService | undefined;
  afterAll(async () => {
    await first?.close();
    await second?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('survives a restart: a job left pending or running is evaluated when the service starts again', { timeout: 120_000 }, async () => {
    first = await startTestService(kind, { DATA_DIR: dataDir, ALERT_EVAL_INTERVAL: '1d' });
    expect((await first.inject({ method: 'POST', url: '/alerts/rules', payload: RULES[0] })).statusCode).toBe(201);
    const now = Date.now();
    const ids: string[] = [];
    for (const minutesAgo of [30, 90]) {
      const up = await first.upload(`${line(now - minutesAgo * MIN, 503, `/api/${minutesAgo}`)}\n`, { source: 'span', format: 'nginx_combined_timed' });
      ids.push((await first.waitForJob(up.body.job_id)).id);
    }
    for (const id of ids) expect((await first.waitForAlertEvaluation(id)).alert_evaluation.episodes).toBe(1);
    // As a crash would leave them: one job succeeded but not evaluated yet, one stopped half-way; no episodes recorded.
    await first.db.query(`UPDATE ingest_jobs SET alert_evaluation = '{"status": "pending"}' WHERE id = $1`, [ids[0]]);
    await first.db.query(`UPDATE ingest_jobs SET alert_evaluation = '{"status": "running"}' WHERE id = $1`, [ids[1]]);
    await first.db.query('DELETE FROM alert_history');
    const databaseUrl = first.config.databaseUrl;
    await first.close();
    first = undefined;

    second = await startTestService(kind, { DATA_DIR: dataDir, ALERT_EVAL_INTERVAL: '1d', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
    for (const id of ids) expect((await second.waitForAlertEvaluation(id)).alert_evaluation).toMatchObject({ status: 'done', rules: 1, episodes: 1 });
    expect((await second.getJson<{ items: unknown[] }>('/alerts/history')).body.items).toHaveLength(2);
  });
});

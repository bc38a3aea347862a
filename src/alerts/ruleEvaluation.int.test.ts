import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { at, logFile, MIN, T0 } from '../../test/helpers/burstLog.js';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import type { RuleEvaluation, StoredRule } from './rule.js';
import { evaluateRuleFrom, unevaluatedRules } from './ruleEvaluation.js';
import { startAlertEvaluation } from './scheduler.js';

/** The backtest's seed rule: over the burst file it has one episode, fired by the window [00:58, 01:03). */
const RULE = { name: 'Too many 500s', kind: 'count', filter: { status_code: '500', source: 'burst' }, operator: '>', threshold: 50, window: '5m' };

interface HistoryItem { rule_id: number; window_end: string; resolved_at: string | null }

/** Polls until the condition holds of what `read` returns (a bounded wait: unbounded, the evaluation may never end). */
async function until<T>(read: () => Promise<T>, done: (t: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not over after ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeBackends('a new rule evaluated over stored data (evaluate_from) on %s', (kind) => {
  let svc: TestService;
  const history = async (ruleId: number): Promise<HistoryItem[]> =>
    (await svc.getJson<{ items: HistoryItem[] }>(`/alerts/history?rule_id=${ruleId}&limit=100`)).body.items;
  const create = async (payload: object) => svc.inject({ method: 'POST', url: '/alerts/rules', payload });

  beforeAll(async () => {
    // No live tick during the test: only evaluate_from can record the burst's episode.
    svc = await startTestService(kind, { ALERT_EVAL_INTERVAL: '1d' });
    const up = await svc.upload(logFile({ burst: true, gap: false }), { source: 'burst', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
    // Its evaluation found no rule; over before any rule exists, so it cannot record the episode itself.
    expect((await svc.waitForAlertEvaluation(up.body.job_id)).alert_evaluation.status).toBe('done');
  }, 90_000);
  afterAll(async () => svc?.close());

  it('without evaluate_from nothing is recorded for the data already stored; with it, the episode is, and the rule shows how it went', { timeout: 90_000 }, async () => {
    const plain = await create(RULE);
    expect(plain.statusCode).toBe(201);
    expect(plain.json<StoredRule>().evaluation).toBeNull();

    const res = await create({ ...RULE, evaluate_from: '2026-10-05T00:00:00Z' });
    expect(res.statusCode).toBe(201);
    const rule = res.json<StoredRule>();
    expect(rule).not.toHaveProperty('evaluate_from');
    expect(['pending', 'running', 'done']).toContain(rule.evaluation?.status);
    expect(rule.evaluation?.requested_from).toBe(at(0));

    const { evaluation } = await until(async () => (await svc.getJson<StoredRule>(`/alerts/rules/${rule.id}`)).body, (r) => ['done', 'failed'].includes(r.evaluation!.status));
    // From the first record to the last (00:00:10 and 01:59:30), and the windows after it up to now.
    expect(evaluation).toMatchObject({
      status: 'done', requested_from: at(0), evaluated_from: new Date(T0 + 10_000).toISOString(),
      evaluated_to: new Date(T0 + 119 * MIN + 30_000).toISOString(), episodes: 1, not_evaluated: null,
    } satisfies Partial<RuleEvaluation>);
    expect(await history(rule.id)).toMatchObject([{ rule_id: rule.id, window_end: at(63), resolved_at: at(66) }]);
    expect(await history(plain.json<StoredRule>().id)).toEqual([]);

    // Evaluated again: it records nothing twice.
    const again = await evaluateRuleFrom(svc.db, rule.id, Date.now(), { notifyMaxAgeMs: 15 * MIN, spanMaxMs: 7 * 24 * 60 * MIN }, pino({ level: 'silent' }));
    expect(again).toMatchObject({ rules: 1, newEpisodes: 0, aborted: false });
    expect((await svc.getJson<StoredRule>(`/alerts/rules/${rule.id}`)).body.evaluation).toMatchObject({ status: 'done', episodes: 0 });
    expect(await history(rule.id)).toHaveLength(1);
  });

  it('an evaluation left running by a crash is run again when the alert scheduler starts, and records nothing twice', { timeout: 60_000 }, async () => {
    const rule = (await create({ ...RULE, name: 'crashed', evaluate_from: at(0) })).json<StoredRule>();
    await until(async () => (await svc.getJson<StoredRule>(`/alerts/rules/${rule.id}`)).body, (r) => r.evaluation!.status === 'done');
    // As a crash half-way would leave it. A tick (or a nudge) looks for pending ones only: another process may be running it.
    await svc.db.query(`UPDATE alert_rules SET evaluation = '{"status": "running", "requested_from": "${at(0)}"}' WHERE id = $1`, [rule.id]);
    expect(await unevaluatedRules(svc.db, { running: false })).toEqual([]);
    expect(await unevaluatedRules(svc.db, { running: true })).toEqual([rule.id]);
    // A second scheduler on the same database stands for the next start.
    const next = startAlertEvaluation(svc.db, { ...svc.config, alertEvalIntervalMs: 86_400_000 }, pino({ level: 'silent' }));
    try {
      const { evaluation } = await until(async () => (await svc.getJson<StoredRule>(`/alerts/rules/${rule.id}`)).body, (r) => r.evaluation!.status === 'done', 30_000);
      expect(evaluation).toMatchObject({ status: 'done', requested_from: at(0), episodes: 0 });
      expect(Date.parse(evaluation!.evaluated_to!)).toBe(T0 + 119 * MIN + 30_000);
    } finally {
      await next.stop();
    }
    expect(await history(rule.id)).toHaveLength(1);
  });

  it('ALERT_SPAN_MAX back from the last record stored bounds it, and the answer names the part left out', async () => {
    const res = await create({ ...RULE, name: 'bounded', evaluate_from: at(0) });
    const id = res.json<StoredRule>().id;
    await until(async () => (await svc.getJson<StoredRule>(`/alerts/rules/${id}`)).body, (x) => x.evaluation!.status === 'done');
    // Again with a one-hour bound (the service's is a week): the first hour of the file is left out.
    const r = await evaluateRuleFrom(svc.db, id, Date.now(), { notifyMaxAgeMs: 15 * MIN, spanMaxMs: 60 * MIN }, pino({ level: 'silent' }));
    expect(r).toMatchObject({ rules: 1, evaluated: { fromMs: T0 + 59 * MIN + 30_000 }, notEvaluated: { fromMs: T0 + 10_000, toMs: T0 + 59 * MIN + 30_000 } });
    const { evaluation } = (await svc.getJson<StoredRule>(`/alerts/rules/${id}`)).body;
    expect(evaluation?.status).toBe('done');
    expect(evaluation?.not_evaluated).toEqual({
      from: new Date(T0 + 10_000).toISOString(), to: new Date(T0 + 59 * MIN + 30_000).toISOString(),
      reason: 'older than ALERT_SPAN_MAX (1h) before the last record stored; backtest the rule over it (31 days at a time)',
    });
  });

  it('an invalid evaluate_from is a 400 naming it, and no rule is created', async () => {
    const before = (await svc.getJson<{ items: unknown[] }>('/alerts/rules')).body.items.length;
    for (const evaluateFrom of ['last tuesday', '2026-13-45T00:00:00Z']) {
      const res = await create({ ...RULE, evaluate_from: evaluateFrom });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ invalid_params: { name: string }[] }>().invalid_params.map((p) => p.name)).toEqual(['evaluate_from']);
    }
    const disabled = await create({ ...RULE, enabled: false, evaluate_from: at(0) });
    expect(disabled.statusCode).toBe(400);
    expect(disabled.json<{ detail: string }>().detail).toMatch(/^evaluate_from: a disabled rule is not evaluated/);
    expect((await svc.getJson<{ items: unknown[] }>('/alerts/rules')).body.items).toHaveLength(before);
  });
});

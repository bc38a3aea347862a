import { afterAll, beforeAll, expect, it } from 'vitest';
import { at, line, logFile, MIN, T0 } from '../../test/helpers/burstLog.js';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { evaluateLive, evaluateSpan } from './evaluator.js';

const SEED = { name: 'Too many 500s', kind: 'count', filter: { status_code: '500', source: 'burst' }, operator: '>', threshold: 50, window: '5m', severity: 'critical' };
const OPTS = { notifyMaxAgeMs: 15 * MIN, spanMaxMs: 7 * 24 * 60 * MIN };

interface Entry {
  rule_id: number;
  state: string;
  window_start: string;
  window_end: string;
  value: number;
  resolved_at: string | null;
  evidence: { samples: { raw_log: string }[] };
}

/** One rule of each other kind, each with something to find in the uploads. */
const KINDS: Record<string, object> = {
  ratio: { kind: 'ratio', filter: { status_code: '5xx', source: 'burst' }, operator: '>', threshold: 80, window: '5m' },
  latency: { kind: 'latency', filter: { source: 'burst' }, operator: '>', threshold: 1000, window: '5m', for: '1m' },
  absence: { kind: 'absence', filter: { source: 'quiet' }, threshold: 1, window: '5m' },
  anomaly: { kind: 'anomaly', filter: { status_code: '500', source: 'burst' }, window: '5m', min_history: 3 },
  new_value: { kind: 'new_value', field: 'route', filter: { source: 'burst' } },
  hysteresis: { kind: 'count', filter: { status_code: '500', source: 'burst' }, operator: '>', threshold: 50, recover_threshold: 10, window: '5m' },
};

describeBackends('alert evaluation on %s', (kind) => {
  const kindIds: Record<string, number> = {};
  let svc: TestService;
  let seedId: number;
  let quietId: number;
  // The live timer stays out of the way (a day): these tests call the evaluator themselves.
  beforeAll(async () => {
    svc = await startTestService(kind, { ALERT_EVAL_INTERVAL: '1d' });
    const create = async (rule: object): Promise<number> =>
      (await svc.inject({ method: 'POST', url: '/alerts/rules', payload: rule })).json<{ id: number }>().id;
    seedId = await create(SEED);
    quietId = await create({ ...SEED, name: 'quiet', filter: { status_code: '500', source: 'quiet' } });
    for (const [name, rule] of Object.entries(KINDS)) kindIds[name] = await create({ name, ...rule });
    for (const [source, text] of [['burst', logFile({ burst: true, gap: false })], ['quiet', logFile({ burst: false, gap: true })]] as const) {
      const res = await svc.upload(text, { source, format: 'nginx_combined_timed' });
      expect((await svc.waitForJob(res.body.job_id)).status).toBe('succeeded');
    }
  }, 60_000);
  afterAll(async () => svc?.close());

  const history = async (ruleId: number): Promise<Entry[]> =>
    (await svc.getJson<{ items: Entry[] }>(`/alerts/history?rule_id=${ruleId}`)).body.items;

  /** The job hooks may still hold the evaluation lock (on PostgreSQL a second caller gets null): wait for it. */
  async function whenFree<T>(evaluate: () => Promise<T | null>): Promise<T | null> {
    let result = await evaluate();
    for (let i = 0; result === null && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      result = await evaluate();
    }
    return result;
  }

  /** The job hook runs after the job is reported done: wait for what it records. */
  async function settled(ruleId: number, want: number): Promise<Entry[]> {
    for (let i = 0; i < 100; i++) {
      const items = await history(ruleId);
      if (items.length >= want) return items;
      await new Promise((r) => setTimeout(r, 100));
    }
    return history(ruleId);
  }

  it('an uploaded burst yields one episode at its event time, resolved once; the quiet file none', async () => {
    expect(await settled(seedId, 1)).toMatchObject([
      { rule_id: seedId, state: 'resolved', window_start: at(58), window_end: at(63), fired_at: at(63), value: 65, resolved_at: at(66) },
    ]);
    expect(await history(quietId)).toEqual([]);
    // The evidence is the window that fired: [00:58, 01:03) holds the whole burst and five background 500s.
    const [entry] = await history(seedId);
    expect(entry!.evidence).toMatchObject({
      top_routes: [{ value: '/api/pay', count: 60 }, { value: '/api/x', count: 5 }],
      top_clients: [{ value: '10.1.2.3', count: 65 }],
      top_status_codes: [{ value: '500', count: 65 }],
    });
    expect(entry!.evidence.samples).toHaveLength(5);
    expect(entry!.evidence.samples[0]!.raw_log).toContain('/api/x');
  });

  it('evaluating the same span again, or twice at once, records nothing new', async () => {
    await settled(seedId, 1);
    const again = await whenFree(() => evaluateSpan(svc.db, { fromMs: T0, toMs: T0 + 120 * MIN, source: 'burst' }, Date.now(), OPTS));
    expect(again?.newEpisodes).toBe(0);
    const both = await Promise.all([evaluateSpan(svc.db, { fromMs: T0, toMs: T0 + 120 * MIN, source: 'burst' }, Date.now(), OPTS), evaluateSpan(svc.db, { fromMs: T0, toMs: T0 + 120 * MIN, source: 'burst' }, Date.now(), OPTS)]);
    expect(both.map((r) => r?.newEpisodes ?? 0)).toEqual([0, 0]);
    expect(await history(seedId)).toHaveLength(1);
  });

  it('backtest returns the episodes that evaluation recorded', async () => {
    const recorded = await settled(seedId, 1);
    const res = await svc.inject({ method: 'POST', url: `/alerts/rules/${seedId}/backtest`, payload: { start_date: at(0), end_date: at(125) } });
    const episodes = res.json<{ episodes: Entry[] }>().episodes;
    expect(episodes.map((e) => [e.window_start, e.window_end, e.value, e.resolved_at])).toEqual(
      recorded.map((e) => [e.window_start, e.window_end, e.value, e.resolved_at]),
    );
  });

  it('every kind records, after the uploads, the episodes its backtest finds', async () => {
    for (const [name, id] of Object.entries(kindIds)) {
      // Evaluation after a job stops an absence rule at the data's end (02:00), the others once the data has left the window.
      const end = name === 'absence' ? at(120) : at(125);
      const bt = await svc.inject({ method: 'POST', url: `/alerts/rules/${id}/backtest`, payload: { start_date: at(0), end_date: end } });
      const want = bt.json<{ episodes: Entry[] }>().episodes.map((e) => [e.window_start, e.window_end, e.value, e.resolved_at]);
      const got = (await settled(id, want.length)).map((e) => [e.window_start, e.window_end, e.value, e.resolved_at]).reverse();
      expect(got, name).toEqual(want);
      if (name !== 'anomaly') expect(want.length, name).toBeGreaterThan(0);
    }
  });

  it('live evaluation goes on from where it stood: pending, firing, resolved, each step once', async () => {
    const id = (await svc.inject({ method: 'POST', url: '/alerts/rules', payload: { ...SEED, name: 'live', for: '1m' } })).json<{ id: number }>().id;
    const live = async (minute: number) => whenFree(() => evaluateLive(svc.db, T0 + minute * MIN + 5_000, OPTS));
    // Every enabled rule runs; the others' episodes exist already, so only this rule's can be new.
    expect(await live(62)).toMatchObject({ newEpisodes: 0 });
    expect(await live(63)).toMatchObject({ newEpisodes: 0 }); // 65 > 50 at 01:03, pending for `for`
    expect(await history(id)).toEqual([]);
    expect(await live(64)).toMatchObject({ newEpisodes: 1 });
    expect(await history(id)).toMatchObject([{ state: 'firing', window_start: at(59), window_end: at(64), resolved_at: null }]);
    const active = (await svc.getJson<{ items: Entry[] }>('/alerts/active')).body.items;
    expect(active.map((e) => e.rule_id)).toContain(id);
    expect(await live(64)).toMatchObject({ steps: 0, newEpisodes: 0 });
    expect(await live(70)).toMatchObject({ newEpisodes: 0 });
    expect(await history(id)).toMatchObject([{ state: 'resolved', window_end: at(64), resolved_at: at(66) }]);
    expect((await svc.getJson<{ items: Entry[] }>('/alerts/active')).body.items.map((e) => e.rule_id)).not.toContain(id);
  });

  it('a count rule without `for` fires on the window still filling, at the tick it breaches; then goes on after that window', async () => {
    // 'quiet' has a 500 a minute; a burst of 55 more arrives in the current minute, 01:20, as live lines would.
    const burst = Array.from({ length: 55 }, (_, i) => line(T0 + 80 * MIN + i * 500, 500, '/api/live')).join('\n');
    const res = await svc.upload(`${burst}\n`, { source: 'quiet', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(res.body.job_id)).status).toBe('succeeded');
    // The rule comes after the upload's own evaluation, so only live evaluation judges it.
    expect((await svc.waitForAlertEvaluation(res.body.job_id)).alert_evaluation.status).toBe('done');
    const id = (await svc.inject({ method: 'POST', url: '/alerts/rules', payload: { ...SEED, name: 'early', filter: { status_code: '500', source: 'quiet' } } }))
      .json<{ id: number }>().id;
    const live = async (nowMs: number) => whenFree(() => evaluateLive(svc.db, nowMs, OPTS));
    await live(T0 + 79 * MIN + 5_000);
    expect(await history(id)).toEqual([]);
    // 01:20:30, the minute not over: the window ending 01:21 holds 5 + 55 500s already. It fires now.
    expect(await live(T0 + 80 * MIN + 30_000)).toMatchObject({ newEpisodes: 1 });
    expect(await history(id)).toMatchObject([{ state: 'firing', window_start: at(76), window_end: at(81), value: 60 }]);
    const states = (await svc.getJson<{ items: { rule_id: number; state: string }[] }>('/alerts/states')).body.items;
    expect(states.find((st) => st.rule_id === id)?.state).toBe('firing');
    // The same minute again, and the next ones: the same episode, once; it resolves when the burst leaves the window.
    expect(await live(T0 + 80 * MIN + 50_000)).toMatchObject({ newEpisodes: 0 });
    expect(await live(T0 + 90 * MIN + 5_000)).toMatchObject({ newEpisodes: 0 });
    expect(await history(id)).toMatchObject([{ state: 'resolved', window_start: at(76), resolved_at: at(86) }]);
  });

  it('pages history with a cursor and names a bad parameter', async () => {
    const page = await svc.getJson<{ items: Entry[]; next_cursor: string | null }>('/alerts/history?limit=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.next_cursor).not.toBeNull();
    const next = await svc.getJson<{ items: Entry[] }>(`/alerts/history?limit=1&cursor=${page.body.next_cursor}`);
    expect(next.body.items[0]!.window_end).not.toBe(undefined);
    const bad = await svc.getJson<{ invalid_params: { name: string }[] }>('/alerts/history?state=loud');
    expect(bad.status).toBe(400);
    expect(bad.body.invalid_params[0]!.name).toBe('state');
  });
});

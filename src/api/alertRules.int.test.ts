import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFile, MIN, T0 } from '../../test/helpers/burstLog.js';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { evaluateLive } from '../alerts/evaluator.js';
import { mergePatch } from './routes/alertRules.js';

const SEED = { name: 'Too many 500s', kind: 'count', filter: { status_code: '500' }, operator: '>', threshold: 50, window: '5m', severity: 'critical' };

interface Problem {
  status: number;
  code: string;
  invalid_params: { name: string; reason: string }[];
}

describeBackends('alert rules API on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind);
  });
  afterAll(async () => svc?.close());

  const send = async (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET', url: string, payload?: unknown) => {
    const res = await svc.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.body ? res.json<Record<string, unknown>>() : null, type: res.headers['content-type'] };
  };

  it("creates the seed's rule with 201 and its id, then reads, lists, replaces, patches and deletes it", async () => {
    const created = await send('POST', '/alerts/rules', SEED);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...SEED, for: '0m', enabled: true, labels: {}, notify: [] });
    const id = created.body!.id as number;
    expect(id).toBeGreaterThan(0);

    expect((await send('GET', `/alerts/rules/${id}`)).body).toEqual(created.body);
    const list = await send('GET', '/alerts/rules');
    expect((list.body!.items as { id: number }[]).map((r) => r.id)).toContain(id);

    const replaced = await send('PUT', `/alerts/rules/${id}`, { ...SEED, threshold: 80, for: '2m' });
    expect(replaced).toMatchObject({ status: 200, body: { id, threshold: 80, for: '2m', created_at: created.body!.created_at } });

    // Merge patch: one filter key added, a label set, the rule disabled; the rest stays.
    const patched = await send('PATCH', `/alerts/rules/${id}`, { filter: { source: 'web' }, labels: { team: 'edge' }, enabled: false });
    expect(patched).toMatchObject({ status: 200, body: { threshold: 80, filter: { status_code: '500', source: 'web' }, labels: { team: 'edge' }, enabled: false } });
    const unset = await send('PATCH', `/alerts/rules/${id}`, { filter: { source: null } });
    expect(unset.body!.filter).toEqual({ status_code: '500' });

    expect((await send('DELETE', `/alerts/rules/${id}`)).status).toBe(204);
    expect((await send('GET', `/alerts/rules/${id}`)).status).toBe(404);
    expect((await send('DELETE', `/alerts/rules/${id}`)).status).toBe(404);
    expect((await send('PATCH', `/alerts/rules/${id}`, { threshold: 1 })).status).toBe(404);
  });

  it('takes a PATCH body sent as application/merge-patch+json (RFC 7396), validated the same, and that type on PATCH only', async () => {
    const id = (await send('POST', '/alerts/rules', SEED)).body!.id as number;
    const patch = (payload: string, method: 'PATCH' | 'POST' = 'PATCH', url = `/alerts/rules/${id}`) =>
      svc.inject({ method, url, payload, headers: { 'content-type': 'application/merge-patch+json' } });
    const patched = await patch('{"threshold": 70, "filter": {"source": "web"}}');
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ threshold: 70, filter: { status_code: '500', source: 'web' } });
    const bad = await patch('{"filter": {"level": "LOUD"}}');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<Problem>().invalid_params[0]!.name).toBe('filter.level');
    expect((await patch('{"threshold": ')).statusCode).toBe(400);
    expect((await patch(JSON.stringify(SEED), 'POST', '/alerts/rules')).statusCode).toBe(415);
  });

  it('answers a bad rule with problem+json naming the field, also when a patch makes it bad', async () => {
    const cases: [unknown, string][] = [
      [{ ...SEED, operator: '=>' }, 'operator'],
      [{ ...SEED, window: '90s' }, 'window'],
      [{ ...SEED, filter: { status_code: '5x' } }, 'filter.status_code'],
      [{ ...SEED, threshold: undefined }, 'threshold'],
      [{ ...SEED, notify: [{ type: 'webhook', url: 'not a url' }] }, 'notify.0.url'],
      [{ ...SEED, name: undefined }, 'name'],
    ];
    for (const [body, field] of cases) {
      const res = await send('POST', '/alerts/rules', body);
      expect(res.status, field).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect((res.body as unknown as Problem).invalid_params.map((p) => p.name), field).toContain(field);
    }
    const id = (await send('POST', '/alerts/rules', SEED)).body!.id as number;
    const bad = await send('PATCH', `/alerts/rules/${id}`, { filter: { level: 'LOUD' } });
    expect(bad.status).toBe(400);
    expect((bad.body as unknown as Problem).invalid_params).toEqual([{ name: 'filter.level', reason: expect.stringContaining('LOUD') as unknown }]);
    expect((await send('GET', `/alerts/rules/${id}`)).body!.filter).toEqual({ status_code: '500' });
    expect((await send('GET', '/alerts/rules/abc')).status).toBe(400);
  });
});

describeBackends('rule states on %s', (kind) => {
  let svc: TestService;
  interface State { rule_id: number; state: string; since: string | null; evaluated_to: string | null; value: number | null }
  const states = async (): Promise<State[]> => (await svc.getJson<{ items: State[] }>('/alerts/states')).body.items;

  // The live timer stays out of the way (a day): the test moves live evaluation itself.
  beforeAll(async () => {
    svc = await startTestService(kind, { ALERT_EVAL_INTERVAL: '1d' });
    // A sentinel rule tells when the upload's own evaluation has run (it then has a state), so that
    // it cannot move the rule under test afterwards.
    const sentinel = (await svc.inject({ method: 'POST', url: '/alerts/rules', payload: SEED })).json<{ id: number }>().id;
    const res = await svc.upload(logFile({ burst: true, gap: false }), { source: 'burst', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(res.body.job_id)).status).toBe('succeeded');
    for (let i = 0; i < 200 && !(await states()).find((s) => s.rule_id === sentinel)?.evaluated_to; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await svc.inject({ method: 'DELETE', url: `/alerts/rules/${sentinel}` })).statusCode).toBe(204);
  }, 60_000);
  afterAll(async () => svc?.close());

  it('lists each rule as inactive until evaluated, then pending and firing with the value of its last window', async () => {
    // Created after the upload, so only live evaluation (called here) moves it.
    const id = (await svc.inject({ method: 'POST', url: '/alerts/rules', payload: { ...SEED, filter: { status_code: '500', source: 'burst' }, for: '1m' } })).json<{ id: number }>().id;
    expect(await states()).toEqual([{ rule_id: id, state: 'inactive', since: null, evaluated_to: null, value: null }]);
    const live = async (minute: number): Promise<void> => {
      // The upload's own evaluation may still hold the lock: a tick that finds it busy returns null.
      for (let i = 0; i < 100 && (await evaluateLive(svc.db, T0 + minute * MIN + 5_000, { notifyMaxAgeMs: 15 * MIN })) === null; i++) await new Promise((r) => setTimeout(r, 100));
    };
    const iso = (minute: number): string => new Date(T0 + minute * MIN).toISOString();
    // 01:03: five background 500s and the burst's sixty in [00:58, 01:03): 65 > 50, pending for `for`.
    await live(63);
    expect(await states()).toEqual([{ rule_id: id, state: 'pending', since: iso(63), evaluated_to: iso(63), value: 65 }]);
    await live(64);
    expect(await states()).toEqual([{ rule_id: id, state: 'firing', since: iso(63), evaluated_to: iso(64), value: 65 }]);
    // A disabled rule is not evaluated: it shows as inactive, with the value it last had.
    await svc.inject({ method: 'PATCH', url: `/alerts/rules/${id}`, payload: { enabled: false } });
    expect(await states()).toEqual([{ rule_id: id, state: 'inactive', since: null, evaluated_to: iso(64), value: 65 }]);
  });
});

describe('JSON merge patch', () => {
  it('merges objects, removes keys set to null, replaces everything else', () => {
    expect(mergePatch({ a: 1, f: { x: 1, y: 2 }, l: [1, 2] }, { f: { y: null, z: 3 }, l: [3], b: 'new' }))
      .toEqual({ a: 1, f: { x: 1, z: 3 }, l: [3], b: 'new' });
    expect(mergePatch({ a: 1 }, [1])).toEqual([1]);
  });
});

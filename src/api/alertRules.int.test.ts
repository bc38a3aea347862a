import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { mergePatch } from './routes/alertRules.js';

const SEED = { name: 'Too many 500s', kind: 'count', filter: { status_code: '500' }, operator: '>', threshold: 50, window: '5m', severity: 'critical' };

interface Problem {
  status: number;
  code: string;
  invalid_params: { name: string; reason: string }[];
}

describe.each(BACKENDS)('alert rules API on %s', (kind) => {
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

describe('JSON merge patch', () => {
  it('merges objects, removes keys set to null, replaces everything else', () => {
    expect(mergePatch({ a: 1, f: { x: 1, y: 2 }, l: [1, 2] }, { f: { y: null, z: 3 }, l: [3], b: 'new' }))
      .toEqual({ a: 1, f: { x: 1, z: 3 }, l: [3], b: 'new' });
    expect(mergePatch({ a: 1 }, [1])).toEqual([1]);
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { at, logFile } from '../../test/helpers/burstLog.js';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { signature } from './channels.js';

const SECRET = 'a-test-secret-of-32-characters!!';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver: records every request; paths under /fail answer 500. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = req.url?.startsWith('/fail') ? 500 : 200;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function until<T>(what: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeBackends('alert notifications on %s', (kind) => {
  let svc: TestService;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    receiver = await startReceiver();
    svc = await startTestService(kind, { ALERT_EVAL_INTERVAL: '1d', SECRET_KEY: SECRET });
    const rule = { kind: 'count', filter: { status_code: '500', source: 'burst' }, operator: '>', threshold: 50, window: '5m', severity: 'critical' };
    const rules = {
      // The burst is weeks old: only a rule that asks for old episodes is notified of it.
      historical: { ...rule, name: 'historical', notify_historical: true, labels: { team: 'edge' }, notify: [
        { type: 'webhook', url: `${receiver.url}/hook` }, { type: 'slack', url: `${receiver.url}/slack` },
      ] },
      recent_only: { ...rule, name: 'recent only', notify: [{ type: 'webhook', url: `${receiver.url}/recent` }] },
      failing: { ...rule, name: 'failing', notify_historical: true, notify: [{ type: 'webhook', url: `${receiver.url}/fail` }] },
      // URLs that are credentials: a Slack incoming webhook, token webhooks (one failing, one unreachable).
      secret_urls: { ...rule, name: 'credential urls', notify_historical: true, notify: [
        { type: 'slack', url: `${receiver.url}/services/T0SECRET/B0SECRET/slacksecret` },
        { type: 'webhook', url: `${receiver.url}/fail/tokenpath?token=tokensecret` },
        { type: 'webhook', url: `http://127.0.0.1:1/closed?token=tokensecret` },
      ] },
    };
    for (const [name, body] of Object.entries(rules)) {
      ids[name] = (await svc.inject({ method: 'POST', url: '/alerts/rules', payload: body })).json<{ id: number }>().id;
    }
    const res = await svc.upload(logFile({ burst: true, gap: false }), { source: 'burst', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(res.body.job_id)).status).toBe('succeeded');
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await receiver?.close();
  });

  const at_ = (path: string): Received[] => receiver.received.filter((r) => r.path === path);

  it('sends firing and resolved to a webhook, signed with SECRET_KEY, with the episode, evidence and logs link', async () => {
    const hook = await until(() => at_('/hook'), (r) => r.length >= 2);
    const bodies = hook.map((r) => JSON.parse(r.body) as { event: string; rule: { name: string; labels: object }; episode: { window_end: string }; evidence: { samples: unknown[] }; logs_url: string });
    expect(bodies.map((b) => b.event).sort()).toEqual(['firing', 'resolved']);
    for (const [i, r] of hook.entries()) {
      expect(r.headers['x-loginsights-signature']).toBe(signature(r.body, SECRET));
      expect(bodies[i]).toMatchObject({ rule: { name: 'historical', labels: { team: 'edge' } }, episode: { window_end: at(63) } });
      expect(bodies[i]!.evidence.samples).toHaveLength(5);
      const link = new URL(bodies[i]!.logs_url, 'http://x');
      expect(link.pathname).toBe('/logs');
      expect(Object.fromEntries(link.searchParams)).toEqual({ start_date: at(58), end_date: at(63), status_code: '500', source: 'burst' });
    }
    const slack = await until(() => at_('/slack'), (r) => r.length >= 2);
    expect((JSON.parse(slack[0]!.body) as { text: string }).text).toMatch(/^\[(FIRING|RESOLVED)\] historical \(critical\): value 65/);
  });

  it('webhooks carry Standard Webhooks headers that the official library verifies with SECRET_KEY; a changed body or a replay later fails', async () => {
    const hook = await until(() => at_('/hook'), (r) => r.length >= 2);
    // Standard Webhooks keys are bytes, written whsec_ + base64: here the UTF-8 bytes of SECRET_KEY.
    const wh = new Webhook(`whsec_${Buffer.from(SECRET, 'utf8').toString('base64')}`);
    const headers = (r: Received): Record<string, string> => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
    for (const r of hook) {
      expect(headers(r)['webhook-id']).toMatch(/^msg_\d+_[0-9a-z]+$/);
      expect(wh.verify(r.body, headers(r))).toEqual(JSON.parse(r.body));
      expect(() => wh.verify(r.body.replace('"historical"', '"tampered"'), headers(r))).toThrow(/signature/i);
    }
    expect(new Set(hook.map((r) => r.headers['webhook-id'])).size).toBe(hook.length);
    // The same request replayed six minutes later: its signed timestamp is too old.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 6 * 60_000 });
    try {
      expect(() => wh.verify(hook[0]!.body, headers(hook[0]!))).toThrow(/too old/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("read keys see a channel's type and host, never its URL (a Slack or token webhook URL is a credential); admin keys see it", async () => {
    const made = await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: 'reader', scopes: ['read'] } });
    expect(made.statusCode).toBe(201);
    const read = { authorization: `Bearer ${made.json<{ key: string }>().key}` };
    const [entry] = (await svc.getJson<{ items: { id: number }[] }>(`/alerts/history?rule_id=${ids.secret_urls}`)).body.items;
    type Answer = { items: { channel: { type: string; host: string; url?: string }; attempts: { error: string | null }[] }[] };
    const url = `/alerts/history/${entry!.id}/deliveries`;
    // Every channel tried once: the Slack one sent, one token webhook answered 500, the other refused the connection.
    const admin = await until(
      async () => (await svc.inject({ method: 'GET', url })).json<Answer>(),
      (a) => a.items.length === 6 && a.items.every((d) => d.attempts.length > 0),
    );
    expect(admin.items.map((d) => d.channel.url)).toContain(`${receiver.url}/services/T0SECRET/B0SECRET/slacksecret`);
    expect(admin.items.map((d) => d.channel.url)).toContain('http://127.0.0.1:1/closed?token=tokensecret');

    const res = await svc.inject({ method: 'GET', url, headers: read });
    expect(res.statusCode).toBe(200);
    const answer = res.json<Answer>();
    expect(answer.items.map((d) => d.channel).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: 'slack', host: '127.0.0.1' }, { type: 'slack', host: '127.0.0.1' },
      { type: 'webhook', host: '127.0.0.1' }, { type: 'webhook', host: '127.0.0.1' }, { type: 'webhook', host: '127.0.0.1' }, { type: 'webhook', host: '127.0.0.1' },
    ]);
    expect(answer.items.flatMap((d) => d.attempts.map((a) => a.error))).toEqual(expect.arrayContaining(['HTTP 500', expect.stringMatching(/ECONNREFUSED/)]));
    for (const path of [url, `/alerts/history?rule_id=${ids.secret_urls}`, '/alerts/history', '/alerts/active', '/alerts/states']) {
      const body = (await svc.inject({ method: 'GET', url: path, headers: read })).body;
      expect(body, path).not.toMatch(/secret|\/services\/|\/closed|tokenpath/i);
    }
    expect((await svc.inject({ method: 'GET', url: '/alerts/rules', headers: read })).statusCode).toBe(403);
  });

  it('records an old episode without notifying a rule that does not ask for old ones', async () => {
    const history = await svc.getJson<{ items: { id: number }[] }>(`/alerts/history?rule_id=${ids.recent_only}`);
    expect(history.body.items).toHaveLength(1);
    await until(() => at_('/hook'), (r) => r.length >= 2);
    const deliveries = await svc.getJson<{ items: unknown[] }>(`/alerts/history/${history.body.items[0]!.id}/deliveries`);
    expect(deliveries.body.items).toEqual([]);
    expect(at_('/recent')).toEqual([]);
  });

  it('retries a failing receiver, recording each attempt', async () => {
    const [entry] = (await svc.getJson<{ items: { id: number }[] }>(`/alerts/history?rule_id=${ids.failing}`)).body.items;
    const deliveries = await until(
      async () => (await svc.getJson<{ items: { event: string; status: string; attempts: { status: number | null }[] }[] }>(`/alerts/history/${entry!.id}/deliveries`)).body.items,
      (items) => items.length === 2 && items.every((d) => d.attempts.length >= 1),
    );
    expect(deliveries.map((d) => [d.event, d.status, d.attempts[0]!.status])).toEqual([['firing', 'pending', 500], ['resolved', 'pending', 500]]);

    // Their next attempts, brought forward: each delivery keeps its webhook-id, so a receiver can drop repeats.
    await svc.db.query("UPDATE alert_deliveries SET next_attempt_at = now() WHERE rule_id = $1 AND status = 'pending'", [ids.failing]);
    const tries = await until(() => at_('/fail'), (r) => r.length >= 4);
    const perId = new Map<string, number>();
    for (const r of tries) perId.set(String(r.headers['webhook-id']), (perId.get(String(r.headers['webhook-id'])) ?? 0) + 1);
    expect([...perId.values()]).toEqual([2, 2]);
    expect([...perId.keys()].every((id) => /^msg_\d+_[0-9a-z]+$/.test(id))).toBe(true);
  });

  it('a silenced rule records its episode, marked silenced, and sends nothing; silences can be listed and ended', async () => {
    const silenced = await svc.inject({ method: 'POST', url: '/alerts/rules', payload: {
      name: 'silenced', kind: 'count', filter: { status_code: '500', source: 'burst2' }, operator: '>', threshold: 50, window: '5m',
      severity: 'warning', labels: { team: 'payments' }, notify_historical: true, notify: [{ type: 'webhook', url: `${receiver.url}/silenced` }],
    } });
    const ruleId = silenced.json<{ id: number }>().id;
    const bad = await svc.inject({ method: 'POST', url: '/alerts/silences', payload: { ends_at: '2099-01-01T00:00:00Z' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ invalid_params: { name: string }[] }>().invalid_params[0]!.name).toBe('rule_id');
    const made = await svc.inject({ method: 'POST', url: '/alerts/silences', payload: { labels: { team: 'payments' }, ends_at: '2099-01-01T00:00:00Z', comment: 'maintenance' } });
    expect(made.statusCode).toBe(201);
    const silenceId = made.json<{ id: number }>().id;
    expect((await svc.getJson<{ items: { id: number }[] }>('/alerts/silences')).body.items.map((x) => x.id)).toContain(silenceId);

    // Not the same bytes as the first upload (that would be answered as a duplicate): the gap is far from the burst.
    const res = await svc.upload(logFile({ burst: true, gap: true }), { source: 'burst2', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(res.body.job_id)).status).toBe('succeeded');
    const entries = await until(
      async () => (await svc.getJson<{ items: { id: number; silenced: boolean }[] }>(`/alerts/history?rule_id=${ruleId}`)).body.items,
      (items) => items.length > 0,
    );
    expect(entries.map((e) => e.silenced)).toEqual([true]);
    expect((await svc.getJson<{ items: unknown[] }>(`/alerts/history/${entries[0]!.id}/deliveries`)).body.items).toEqual([]);

    expect((await svc.inject({ method: 'DELETE', url: `/alerts/silences/${silenceId}` })).statusCode).toBe(204);
    expect((await svc.getJson<{ items: { id: number }[] }>('/alerts/silences')).body.items.map((x) => x.id)).not.toContain(silenceId);
    expect((await svc.inject({ method: 'DELETE', url: `/alerts/silences/${silenceId}` })).statusCode).toBe(404);
    expect(at_('/silenced')).toEqual([]);
  });

  it('sends a test notification on request', async () => {
    const res = await svc.inject({ method: 'POST', url: `/alerts/rules/${ids.historical}/test-notification` });
    expect(res.statusCode).toBe(202);
    expect(res.json<{ deliveries: number[] }>().deliveries).toHaveLength(2);
    const tests = await until(() => at_('/hook').filter((r) => r.body.includes('"event":"test"')), (r) => r.length >= 1);
    expect(tests).toHaveLength(1);
    const none = await svc.inject({ method: 'POST', url: '/alerts/rules', payload: { name: 'quiet', kind: 'count', operator: '>', threshold: 1 } });
    const noChannels = await svc.inject({ method: 'POST', url: `/alerts/rules/${none.json<{ id: number }>().id}/test-notification` });
    expect(noChannels.statusCode).toBe(400);
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { at, line, logFile } from '../../test/helpers/burstLog.js';
import { describeBackends, openTestDb } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import type { Db } from '../db/db.js';
import { enqueueTest, sendDueDeliveries, type SendOptions } from './notifications.js';
import { ruleSchema } from './rule.js';
import { createRule } from './ruleStore.js';

const SEND: SendOptions = { secretKey: undefined, destinations: { denyPrivate: false, allowed: { hosts: [], cidrs: [] } } };
const MIN = 60_000;

interface Held {
  path: string;
  answer(status: number): void;
}

/**
 * A real local receiver. Each request is handed to `onRequest` (set by the test) once its body is
 * read, which answers it now or later; `open` counts requests not answered yet, `most` the most
 * there were at once.
 */
async function startReceiver(host = '127.0.0.1') {
  const r = {
    url: '',
    received: [] as string[],
    open: 0,
    most: 0,
    onRequest: (h: Held): void => h.answer(200),
    server: http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        r.received.push(req.url ?? '');
        r.most = Math.max(r.most, ++r.open);
        let answered = false;
        const answer = (status: number): void => {
          if (answered) return;
          answered = true;
          r.open--;
          if (!res.destroyed) res.writeHead(status).end();
        };
        res.on('close', () => answer(0));
        r.onRequest({ path: req.url ?? '', answer });
      });
    }),
    async close() {
      r.server.closeAllConnections();
      await new Promise((resolve) => r.server.close(resolve));
    },
  };
  await new Promise<void>((resolve) => r.server.listen(0, host, resolve));
  r.url = `http://${host}:${(r.server.address() as AddressInfo).port}`;
  return r;
}

async function until<T>(what: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeBackends('sending deliveries on %s', (kind) => {
  let db: Db;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    db = await openTestDb(kind);
    receiver = await startReceiver();
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await db?.close();
  });

  /** A rule with `channels` Slack channels to the receiver, and its test deliveries made. */
  async function testDeliveries(name: string, channels: number): Promise<number[]> {
    const rule = await createRule(db, ruleSchema.parse({
      name, kind: 'count', operator: '>', threshold: 1,
      notify: Array.from({ length: channels }, (_, i) => ({ type: 'slack', url: `${receiver.url}/${name}/${i}` })),
    }));
    return enqueueTest(db, rule, Date.now());
  }

  const state = async (id: number) => (await db.query<{ status: string; attempts: { status: number | null }[] }>(
    'SELECT status, attempts FROM alert_deliveries WHERE id = $1', [id],
  )).rows[0]!;

  it('sends the deliveries it claimed at the same time, not one after the other', async () => {
    const held: Held[] = [];
    // Each request waits until all three are in: only concurrent sending gets them there (a safety
    // release after 3 s lets one-at-a-time sending finish, and fail the test).
    receiver.onRequest = (h) => {
      held.push(h);
      if (held.length === 3) held.forEach((x) => x.answer(200));
      else setTimeout(() => h.answer(200), 3_000);
    };
    receiver.most = 0;
    const ids = await testDeliveries('concurrent', 3);
    await sendDueDeliveries(db, SEND);
    expect(receiver.most).toBe(3);
    for (const id of ids) expect((await state(id)).status).toBe('sent');
  });

  it('a delivery made within the millisecond of the sender\'s clock is due (the database keeps microseconds)', async () => {
    receiver.onRequest = (h) => h.answer(200);
    const [id] = await testDeliveries('same-millisecond', 1);
    // Its time as the database wrote it, and the sender's clock at that millisecond, its microseconds cut off.
    const made = await db.query<{ us: string }>(
      `UPDATE alert_deliveries SET next_attempt_at = date_trunc('milliseconds', now()) + interval '0.5 milliseconds' WHERE id = $1
       RETURNING (extract(epoch FROM next_attempt_at) * 1000000)::bigint::text AS us`, [id],
    );
    const nowMs = Math.floor(Number(made.rows[0]!.us) / 1000);
    expect(await sendDueDeliveries(db, SEND, nowMs)).toEqual({ attempted: 1, overtaken: [] });
    expect((await state(id!)).status).toBe('sent');
  });

  it('a sender whose claim expired does not record its outcome over the sender that took the delivery over', async () => {
    let first: Held | undefined;
    receiver.onRequest = (h) => {
      if (first === undefined) first = h; // the first sender's request hangs until the test lets it fail
      else h.answer(200);
    };
    const [id] = await testDeliveries('overtaken', 1);
    const slow = sendDueDeliveries(db, SEND);
    await until(() => first, (f) => f !== undefined);
    expect(first).toBeDefined();
    // The first sender's claim runs out (a stalled process) and a second sender takes the delivery over.
    await db.query(`UPDATE alert_deliveries SET next_attempt_at = now() - interval '1 second' WHERE id = $1`, [id]);
    await sendDueDeliveries(db, SEND);
    expect(await state(id!)).toMatchObject({ status: 'sent', attempts: [{ status: 200 }] });
    first!.answer(500);
    const outcome = await slow;
    // The late 500 is not recorded: the delivery stays sent, with the attempt that sent it.
    expect(await state(id!)).toMatchObject({ status: 'sent', attempts: [{ status: 200 }] });
    expect(outcome).toEqual({ attempted: 1, overtaken: [id] });
  });

  it('while a claim holds, a second sender leaves the delivery alone: the receiver gets it once', async () => {
    let first: Held | undefined;
    receiver.onRequest = (h) => {
      if (first === undefined) first = h;
      else h.answer(200);
    };
    const before = receiver.received.length;
    const [id] = await testDeliveries('claimed', 1);
    const sending = sendDueDeliveries(db, SEND);
    await until(() => first, (f) => f !== undefined);
    expect(await sendDueDeliveries(db, SEND)).toMatchObject({ attempted: 0 });
    first!.answer(200);
    await sending;
    expect(receiver.received.length - before).toBe(1);
    expect(await state(id!)).toMatchObject({ status: 'sent', attempts: [{ status: 200 }] });
  });

  it('two senders at once send each delivery once', async () => {
    receiver.onRequest = (h) => h.answer(200);
    const before = receiver.received.length;
    const ids = await testDeliveries('twice', 6);
    const results = await Promise.all([sendDueDeliveries(db, SEND), sendDueDeliveries(db, SEND)]);
    expect(results.reduce((a, r) => a + r.attempted, 0)).toBe(6);
    expect(receiver.received.slice(before).sort()).toEqual(ids.map((_, i) => `/twice/${i}`).sort());
    for (const id of ids) expect(await state(id)).toMatchObject({ status: 'sent', attempts: [{ status: 200 }] });
  });
});

describeBackends('where notifications may go, and evaluation apart from sending, on %s', (kind) => {
  let svc: TestService;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let loopback: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    // Loopback receivers are refused, except 127.0.0.2 (the whole of 127/8 is loopback on Linux).
    receiver = await startReceiver('127.0.0.2');
    loopback = await startReceiver('127.0.0.1');
    svc = await startTestService(kind, { NOTIFY_DENY_PRIVATE: 'true', NOTIFY_ALLOWED_HOSTS: '127.0.0.2', ALERT_EVAL_INTERVAL: '1s' });
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await receiver?.close();
    await loopback?.close();
  });

  const rule = (name: string, url: string) => ({
    name, kind: 'count', filter: { source: 'nothing-matches' }, operator: '>', threshold: 1, notify: [{ type: 'webhook', url: `${receiver.url}/ok` }, { type: 'webhook', url }],
  });

  it('refuses a rule whose channel is an address the policy refuses, naming the channel', async () => {
    for (const [url, reason] of [
      ['http://169.254.169.254/latest/meta-data/', 'destination 169.254.169.254 is a link-local address, refused (NOTIFY_ALLOWED_HOSTS allows it)'],
      ['http://[::ffff:169.254.169.254]/x', 'destination ::ffff:a9fe:a9fe is a link-local address, refused (NOTIFY_ALLOWED_HOSTS allows it)'],
      ['http://127.0.0.1:9093', 'destination 127.0.0.1 is a loopback address, refused (NOTIFY_ALLOWED_HOSTS allows it)'],
      ['http://10.1.2.3/hook', 'destination 10.1.2.3 is a private address, refused (NOTIFY_ALLOWED_HOSTS allows it)'],
    ]) {
      const res = await svc.inject({ method: 'POST', url: '/alerts/rules', payload: rule('refused', url!) });
      expect(res.statusCode, url).toBe(400);
      expect(res.json<{ invalid_params: unknown[] }>().invalid_params).toEqual([{ name: 'notify.1.url', reason }]);
    }
    const ok = await svc.inject({ method: 'POST', url: '/alerts/rules', payload: rule('allowed', `${receiver.url}/x`) });
    expect(ok.statusCode).toBe(201);
    const patched = await svc.inject({ method: 'PATCH', url: `/alerts/rules/${ok.json<{ id: number }>().id}`, payload: { notify: [{ type: 'slack', url: 'http://169.254.169.254/' }] } });
    expect(patched.statusCode).toBe(400);
    expect(patched.json<{ invalid_params: { name: string }[] }>().invalid_params[0]!.name).toBe('notify.0.url');
  });

  it('refuses to send to a host name that resolves to a refused address, as a failed attempt saying why', async () => {
    const before = receiver.received.length;
    // `localhost` names a receiver that listens on 127.0.0.1 (and would take the request).
    const made = await svc.inject({ method: 'POST', url: '/alerts/rules', payload: rule('by name', `http://localhost:${new URL(loopback.url).port}/named`) });
    expect(made.statusCode).toBe(201);
    const sent = await svc.inject({ method: 'POST', url: `/alerts/rules/${made.json<{ id: number }>().id}/test-notification` });
    const ids = sent.json<{ deliveries: number[] }>().deliveries;
    const attempts = async () => (await svc.db.query<{ id: number; attempts: { status: number | null; error: string | null }[] }>(
      'SELECT id, attempts FROM alert_deliveries WHERE id = ANY($1::bigint[]) ORDER BY id', [ids],
    )).rows;
    const rows = await until(attempts, (r) => r.every((d) => d.attempts.length > 0));
    expect(rows[0]!.attempts[0]).toMatchObject({ status: 200, error: null });
    expect(rows[1]!.attempts[0]!.status).toBeNull();
    expect(rows[1]!.attempts[0]!.error).toMatch(/^destination localhost \((127\.0\.0\.1|::1)\) is a loopback address, refused \(NOTIFY_ALLOWED_HOSTS allows it\)$/);
    expect(receiver.received.slice(before)).toEqual(['/ok']);
    expect(loopback.received).toEqual([]);
  });

  it('an Alertmanager that stops answering holds up no rule evaluation', async () => {
    // Four Alertmanager channels: each takes the first notification, then hangs on every refresh.
    const seen = new Set<string>();
    receiver.onRequest = (h) => {
      if (!seen.has(h.path)) {
        seen.add(h.path);
        h.answer(200);
      }
    };
    const am = await svc.inject({ method: 'POST', url: '/alerts/rules', payload: {
      name: 'hanging alertmanager', kind: 'count', filter: { source: 'live' }, operator: '>', threshold: 50, window: '5m',
      notify: [0, 1, 2, 3].map((i) => ({ type: 'alertmanager', url: `${receiver.url}/am${i}` })),
    } });
    expect(am.statusCode).toBe(201);
    const start = Math.floor(Date.now() / MIN) * MIN - 3 * MIN;
    const live = Array.from({ length: 60 }, (_, i) => line(start + i * 3_000, 500, '/api/pay'));
    const up = await svc.upload(`${live.join('\n')}\n`, { source: 'live', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
    // Firing: delivered, and now refreshed on every tick into receivers that never answer.
    const hanging = await until(() => receiver.open, (open) => open > 0, 30_000);
    expect(hanging).toBeGreaterThan(0);

    const other = await svc.inject({ method: 'POST', url: '/alerts/rules', payload: {
      name: 'old burst', kind: 'count', filter: { status_code: '500', source: 'old' }, operator: '>', threshold: 50, window: '5m',
    } });
    const old = await svc.upload(logFile({ burst: true, gap: false }), { source: 'old', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(old.body.job_id)).status).toBe('succeeded');
    // Its episode is recorded while the Alertmanager hangs (one after the other, the four would
    // hold evaluation 40 s a tick): a liveness bound, not a timing.
    const history = await until(
      async () => (await svc.getJson<{ items: { window_end: string }[] }>(`/alerts/history?rule_id=${other.json<{ id: number }>().id}`)).body.items,
      (items) => items.length > 0, 20_000,
    );
    expect(history.map((h) => h.window_end)).toEqual([at(63)]);
  });
});

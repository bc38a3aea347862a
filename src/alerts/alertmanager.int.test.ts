import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertmanager, startAlertmanager } from '../../test/helpers/alertmanager.js';
import { line } from '../../test/helpers/burstLog.js';
import { needs } from '../../test/helpers/env.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { evaluateLive } from './evaluator.js';
import { NO_ALLOWED_DESTINATIONS } from '../domain/destinationPolicy.js';
import { refreshAlertmanager, type SendOptions } from './notifications.js';

const MIN = 60_000;
const SEND: SendOptions = { secretKey: undefined, destinations: { denyPrivate: false, allowed: NO_ALLOWED_DESTINATIONS } };

interface AmAlert {
  labels: Record<string, string>;
  status: { state: string };
}

describe('notifications reach a real Prometheus Alertmanager', needs(alertmanager), () => {
  let am: Awaited<ReturnType<typeof startAlertmanager>>;
  let svc: TestService;
  beforeAll(async () => {
    am = await startAlertmanager();
    svc = await startTestService('pglite', { ALERT_EVAL_INTERVAL: '1d' });
  }, 60_000);
  afterAll(async () => {
    await svc?.close();
    await am?.stop();
  });

  const alerts = async (): Promise<AmAlert[]> => (await fetch(`${am.url}/api/v2/alerts`)).json() as Promise<AmAlert[]>;
  async function until(ok: (a: AmAlert[]) => boolean): Promise<AmAlert[]> {
    for (let i = 0; i < 150; i++) {
      const a = await alerts();
      if (ok(a)) return a;
      await new Promise((r) => setTimeout(r, 100));
    }
    return alerts();
  }

  it('a firing episode appears in GET /api/v2/alerts with its labels, and its resolve takes it away', async () => {
    const name = `Too many 500s ${Date.now()}`;
    const rule = {
      name, kind: 'count', filter: { status_code: '500' }, operator: '>', threshold: 50, window: '5m', severity: 'critical',
      labels: { team: 'edge' }, notify: [{ type: 'alertmanager', url: am.url }],
    };
    expect((await svc.inject({ method: 'POST', url: '/alerts/rules', payload: rule })).statusCode).toBe(201);
    // Sixty 500s in the last three minutes before the current one: the window ending now fires.
    const now = Date.now();
    const start = Math.floor(now / MIN) * MIN - 3 * MIN;
    const lines = Array.from({ length: 60 }, (_, i) => line(start + i * 3_000, 500, '/api/pay'));
    const res = await svc.upload(`${lines.join('\n')}\n`, { source: 'live', format: 'nginx_combined_timed' });
    expect((await svc.waitForJob(res.body.job_id)).status).toBe('succeeded');

    const firing = await until((a) => a.some((x) => x.labels.alertname === name));
    expect(firing.find((x) => x.labels.alertname === name)).toMatchObject({
      labels: { alertname: name, severity: 'critical', team: 'edge' }, status: { state: 'active' },
    });

    // While it fires, every live tick sends it again, as Alertmanager expects (else it ends it after resolve_timeout).
    // (The delivery is marked sent just after Alertmanager answered: wait for that.)
    let refreshed = await refreshAlertmanager(svc.db, SEND);
    for (let i = 0; refreshed === 0 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      refreshed = await refreshAlertmanager(svc.db, SEND);
    }
    expect(refreshed).toBe(1);
    expect((await alerts()).find((x) => x.labels.alertname === name)?.status.state).toBe('active');

    // Ten minutes on (in event time), the burst has left the window: live evaluation resolves the episode.
    let result = await evaluateLive(svc.db, now + 10 * MIN, { notifyMaxAgeMs: 15 * MIN });
    for (let i = 0; result === null && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      result = await evaluateLive(svc.db, now + 10 * MIN, { notifyMaxAgeMs: 15 * MIN });
    }
    const after = await until((a) => !a.some((x) => x.labels.alertname === name));
    expect(after.some((x) => x.labels.alertname === name)).toBe(false);
    const history = await svc.getJson<{ items: { state: string }[] }>('/alerts/history');
    expect(history.body.items.map((h) => h.state)).toEqual(['resolved']);
    expect(await refreshAlertmanager(svc.db, SEND)).toBe(0);
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from './helpers/db.js';
import { nginx, startNginx, type RunningNginx } from './helpers/nginx.js';
import { startTestService, type TestService } from './helpers/service.js';

interface LogPage { items: { status_code: number | null; source: string; endpoint: string | null }[]; next_cursor: string | null }

/** Every record GET /logs lists for a query, page after page. */
async function listAll(svc: TestService, query: string): Promise<LogPage['items']> {
  const items: LogPage['items'] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; body: LogPage } = await svc.getJson<LogPage>(`/logs?${query}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.next_cursor;
  } while (cursor);
  return items;
}

// A real nginx, configured as its users configure it, sends its access log over syslog (UDP, RFC 3164).
describeBackends('nginx `access_log syslog:` into %s, live', [nginx], (kind) => {
  let svc: TestService;
  let web: RunningNginx;
  beforeAll(async () => {
    svc = await startTestService(kind, { SYSLOG_UDP_PORT: '0', ALERT_EVAL_INTERVAL: '1s' });
    web = await startNginx(
      `access_log syslog:server=127.0.0.1:${svc.syslog!.udpPort},tag=web1 combined;`,
      "location /fail { return 500; }\n    location / { return 200 'ok'; }",
    );
  }, 60_000);
  afterAll(async () => {
    await web?.stop();
    await svc?.close();
  });

  it('stores each of 1,000 requests once (60 answered 500) within seconds, and fires "500 count > 50 in 5 minutes" live', async () => {
    const rule = await svc.inject({
      method: 'POST', url: '/alerts/rules',
      payload: { name: 'web1 errors', kind: 'count', operator: '>', threshold: 50, window: '5m', severity: 'critical', filter: { status_code: '500', source: 'web1' } },
    });
    expect(rule.statusCode).toBe(201);
    const ruleId = rule.json<{ id: number }>().id;

    // 1,000 requests, 8 at a time: every 50th, 51st and 52nd of each 50 to a location answered 500.
    const paths = Array.from({ length: 1000 }, (_, i) => (i % 50 < 3 ? `/fail/${i}` : `/page/${i}?n=${i}`));
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < paths.length) {
        const res = await fetch(`${web.url}${paths[next++]!}`);
        await res.arrayBuffer();
      }
    }));
    const sentAt = Date.now();

    let stored: LogPage['items'] = [];
    for (let i = 0; i < 200 && stored.length < 1000; i++) {
      await new Promise((r) => setTimeout(r, 100));
      stored = await listAll(svc, 'source=web1');
    }
    expect(stored.length).toBe(1000);
    expect(Date.now() - sentAt).toBeLessThan(20_000);
    expect(stored.filter((r) => r.status_code === 500).length).toBe(60);
    expect((await listAll(svc, 'source=web1&status_code=500')).length).toBe(60);
    // Each request once: its own path.
    expect(new Set(stored.map((r) => r.endpoint)).size).toBe(1000);

    // Live evaluation (every second here) sees the 60 500s of the last 5 minutes, without waiting for the
    // minute to end: a count can only grow, so the window still filling already breaches.
    let state = '';
    for (let i = 0; i < 200 && state !== 'firing'; i++) {
      const states = (await svc.getJson<{ items: { rule_id: number; state: string }[] }>('/alerts/states')).body.items;
      state = states.find((s) => s.rule_id === ruleId)?.state ?? '';
      if (state !== 'firing') await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('firing');
    const active = (await svc.getJson<{ items: { rule_id: number; value: number }[] }>('/alerts/active')).body.items;
    expect(active.find((a) => a.rule_id === ruleId)?.value).toBeGreaterThan(50);
  }, 90_000);
});

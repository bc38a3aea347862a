import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { hllEstimate, HLL_REGISTERS, hllAdd } from '../domain/hyperLogLog.js';
import { compactRollups } from '../ingest/compactRollups.js';
import type { EndpointRow } from './endpoints.js';
import type { Summary } from './summary.js';
import type { Traffic } from './traffic.js';
import { uniqueClients } from './uniqueClients.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = Date.UTC(2026, 9, 5);
const CLIENTS = 64;

function timeLocal(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * Figures the data disproves, if read as the sketches and histograms give them: 64 requests over a
 * day, each from its own address (the sketch of these 64 estimates 65), all of them 250 ms (whose
 * histogram bucket reads 254.8 ms).
 */
const address = (i: number): string => `10.0.0.${i}`;
const LINES = Array.from({ length: CLIENTS }, (_, i) => {
  const ms = DAY + i * 20 * 60_000 + 7_000;
  return `${address(i + 1)} - - [${timeLocal(ms)}] "GET /api/items/${i} HTTP/1.1" 200 10 "-" "ua" 0.250 0.250`;
}).join('\n');

describeBackends('no figure beyond what the data allows on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind);
    const res = await svc.upload(`${LINES}\n`, { source: 'web', format: 'nginx_combined_timed' });
    expect(res.status).toBe(202);
    expect((await svc.waitForJob(res.body.job_id)).status).toBe('succeeded');
  }, 60_000);
  afterAll(async () => svc?.close());

  it('the data is what the test needs: the sketch over-counts, the bucket reads above the latency', () => {
    const r = new Uint8Array(HLL_REGISTERS);
    for (let i = 1; i <= CLIENTS; i++) hllAdd(r, address(i));
    expect(hllEstimate(r)).toBeGreaterThan(CLIENTS);
  });

  it('summary: p99 ≤ max and unique_clients ≤ total_requests, exact where the range is small', async () => {
    const ranges = ['', 'start_date=2026-10-05T01:00:00Z&end_date=2026-10-05T22:30:00Z'];
    for (const qs of ranges) {
      const res = await svc.getJson<Summary>(`/analytics/summary?${qs}`);
      expect(res.status).toBe(200);
      const s = res.body;
      const l = s.latency_ms;
      expect(l.max, qs).toBe(250);
      for (const v of [l.p50, l.p90, l.p95, l.p99, l.avg]) expect(v, qs).toBeLessThanOrEqual(l.max!);
      expect([l.p50, l.p90, l.p95, l.p99], qs).toEqual([250, 250, 250, 250]);
      expect(s.unique_clients, qs).toBeLessThanOrEqual(s.total_requests);
      expect(s.unique_clients_error, qs).toBe(0);
      const raw = await svc.db.query<{ n: number }>(
        'SELECT count(DISTINCT client_ip)::int AS n FROM logs WHERE ($1::timestamptz IS NULL OR timestamp >= $1) AND ($2::timestamptz IS NULL OR timestamp < $2)',
        [s.start_date, s.end_date],
      );
      expect(s.unique_clients, qs).toBe(raw.rows[0]!.n);
    }
  });

  it('traffic and endpoints: no p95 or p99 above the largest latency of its bucket or route', async () => {
    const traffic = await svc.getJson<Traffic>('/analytics/traffic?start_date=2026-10-05T00:00:00Z&end_date=2026-10-06T00:00:00Z&interval=1h');
    expect(traffic.status).toBe(200);
    const timed = traffic.body.series.filter((p) => p.count > 0);
    expect(timed.length).toBeGreaterThan(20);
    for (const p of timed) expect([p.p95_ms, p.p99_ms], p.bucket).toEqual([250, 250]);
    const endpoints = await svc.getJson<{ items: EndpointRow[] }>('/analytics/endpoints?sort=p99&min_count=1');
    expect(endpoints.status).toBe(200);
    for (const r of endpoints.body.items) expect([r.p50_ms, r.p95_ms, r.p99_ms, r.avg_ms, r.max_ms], r.route).toEqual([250, 250, 250, 250, 250]);
  });

  it('unique clients from the day lists when they hold every address, else from the sketch bounded by the records', async () => {
    await compactRollups(svc.db);
    const all = { startMs: null, endMs: null };
    // No raw rows read (a budget of 0): the day's list of busiest clients holds all 64 (floor 0).
    expect(await uniqueClients(svc.db, all, CLIENTS, 0)).toEqual({ count: CLIENTS, approximate: false });
    // Without the list, the sketch: its 65 bounded by the 64 records.
    await svc.db.query('DELETE FROM client_top_floors_1d');
    expect(await uniqueClients(svc.db, all, CLIENTS, 0)).toEqual({ count: CLIENTS, approximate: true });
    expect(await uniqueClients(svc.db, all, 1000, 0)).toEqual({ count: CLIENTS + 1, approximate: true });
  });
});

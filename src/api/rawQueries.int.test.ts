import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { countQueries } from '../../test/helpers/queryCount.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';

interface Problem { code: string; detail: string; invalid_params?: { name: string; reason: string }[] }

/** One nginx combined line on 2026-10-05 + `day` days. */
const line = (day: number, path: string) =>
  `10.0.0.${day} - - [${String(5 + day).padStart(2, '0')}/Oct/2026:12:00:00 +0000] "GET ${path} HTTP/1.1" 200 100 "-" "curl/8.0"`;

describeBackends('searches over raw rows on %s', (kind) => {
  let svc: TestService;
  let key: { authorization: string };
  let other: { authorization: string };

  beforeAll(async () => {
    svc = await startTestService(kind, { RAW_QUERIES_PER_KEY: '2' });
    const mk = async (name: string) => ({
      authorization: `Bearer ${(await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name, scopes: ['read'] } })).json<{ key: string }>().key}`,
    });
    [key, other] = [await mk('reader'), await mk('other reader')];
    const up = await svc.upload(`${[0, 1, 2, 20].map((d) => line(d, `/day/${d}`)).join('\n')}\n`, { source: 'slots' });
    expect((await svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
  });
  afterAll(async () => svc?.close());

  it('runs at most RAW_QUERIES_PER_KEY searches of one key at once: the third gets 429 with Retry-After, another key is served', async () => {
    const range = 'start_date=2026-10-05&end_date=2026-10-08';
    // Both keys are verified (and their use recorded) now, so the requests below need the database only for their searches.
    for (const headers of [key, other]) expect((await svc.inject({ method: 'GET', url: `/logs?${range}`, headers })).statusCode).toBe(200);

    // Holds the logs table and the partition list a search reads first (PostgreSQL: locks; PGlite: its one
    // backend) so that searches wait at their first statement, holding their slots.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const blocker = svc.db.transaction(async (tx) => {
      await tx.query('LOCK TABLE logs, log_partitions IN ACCESS EXCLUSIVE MODE');
      locked();
      await gate;
    });
    await lockTaken;
    const searches = countQueries(svc.db, /\bFROM (logs|log_partitions)\b/);
    try {
      const first = svc.inject({ method: 'GET', url: `/logs?${range}&source=slots`, headers: key });
      const second = svc.inject({ method: 'GET', url: `/analytics/clients?${range}&exact=true`, headers: key });
      const otherKey = svc.inject({ method: 'GET', url: `/logs?${range}`, headers: other });
      for (let i = 0; i < 400 && searches.count < 3; i++) await new Promise((r) => setTimeout(r, 25));
      expect(searches.count).toBe(3); // all three are waiting in the database

      const third = await svc.inject({ method: 'GET', url: `/logs?${range}&level=ERROR`, headers: key });
      expect(third.statusCode).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      expect(third.json<Problem>()).toMatchObject({ code: 'too_many_searches', detail: expect.stringMatching(/RAW_QUERIES_PER_KEY=2/) as unknown });
      expect(searches.count).toBe(3); // refused before any database work

      release();
      await blocker;
      expect((await Promise.all([first, second, otherKey])).map((r) => r.statusCode)).toEqual([200, 200, 200]);
      expect((await svc.inject({ method: 'GET', url: `/logs?${range}&level=ERROR`, headers: key })).statusCode).toBe(200);
    } finally {
      release();
      searches.stop();
    }
  });

  it(kind === 'pglite'
    ? 'bounds the range of a q, endpoint or exact clients search on the embedded database (400 naming start_date)'
    : 'puts no range bound on PostgreSQL (statement_timeout bounds a query there)', async () => {
    const refused = [
      '/logs?q=day', '/logs?endpoint=/day/1', '/logs?q=day&end_date=2026-10-08', '/analytics/clients?exact=true',
      '/logs?q=day&start_date=2026-10-01&end_date=2026-11-01', '/analytics/clients?exact=true&start_date=2026-10-01&end_date=2026-11-01',
    ];
    for (const url of refused) {
      const res = await svc.inject({ method: 'GET', url, headers: key });
      if (kind === 'postgres') {
        expect(res.statusCode, url).toBe(200);
        continue;
      }
      expect(res.statusCode, url).toBe(400);
      const p = res.json<Problem>();
      expect(p.invalid_params?.map((x) => x.name), url).toEqual(['start_date']);
      expect(p.detail, url).toMatch(/on the embedded database .* scans at most 7 days/);
      expect(p.detail, url).toMatch(/use PostgreSQL \(DATABASE_URL\)/);
      if (url.includes('2026-11-01')) expect(p.detail, url).toMatch(/this range is 31 days/);
    }
    // Three days are within the bound; filters an index serves need no range.
    const items = async (url: string) => {
      const res = await svc.inject({ method: 'GET', url, headers: key });
      expect(res.statusCode, url).toBe(200);
      return res.json<{ items: unknown[] }>().items;
    };
    expect(await items('/logs?q=day&start_date=2026-10-05&end_date=2026-10-08')).toHaveLength(3);
    expect(await items('/logs?endpoint=/day/*&start_date=2026-10-05&end_date=2026-10-08')).toHaveLength(3);
    expect(await items('/analytics/clients?exact=true&start_date=2026-10-05&end_date=2026-10-08')).toHaveLength(3);
    expect(await items('/logs?source=slots&status_code=200')).toHaveLength(4);
    expect(await items('/analytics/clients')).toHaveLength(4);
  });
});

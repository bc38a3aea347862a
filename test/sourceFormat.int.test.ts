import { afterAll, beforeAll, expect, it } from 'vitest';
import { timeLocal } from '../bench/generate.js';
import { describeBackends } from './helpers/db.js';
import { until } from './helpers/liveLines.js';
import { startTestService, type TestService } from './helpers/service.js';

/** Fields in an order no preset has: detection cannot read these lines, the source's own format can. */
const LOG_FORMAT = `log_format timed '$request_time $status $remote_addr [$time_local] "$request" $body_bytes_sent';`;

const bulk = (source: string, lines: readonly string[]): string =>
  `${lines.flatMap((message) => [JSON.stringify({ create: { _index: source } }), JSON.stringify({ message })]).join('\n')}\n`;

describeBackends("a live source's own format (PUT /sources/{source}/format) on %s", (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind);
  }, 60_000);
  afterAll(async () => svc?.close());

  const put = (source: string, body: Record<string, string>) =>
    svc.inject({ method: 'PUT', url: `/sources/${encodeURIComponent(source)}/format`, payload: body });
  const send = async (source: string, lines: readonly string[]): Promise<void> => {
    const res = await svc.inject({ method: 'POST', url: '/es/_bulk', payload: bulk(source, lines), headers: { 'content-type': 'application/x-ndjson' } });
    expect(res.statusCode).toBe(200);
  };
  const stored = async (source: string) => (await svc.db.query<{ n: number; rejected: number; errors: number; latency: number }>(
    `SELECT (SELECT count(*)::int FROM logs WHERE source = $1) AS n,
            (SELECT count(*)::int FROM rejected_lines r JOIN ingest_jobs j ON j.id = r.job_id WHERE j.source = $1) AS rejected,
            (SELECT count(*)::int FROM logs WHERE source = $1 AND status_code = 503) AS errors,
            (SELECT coalesce(round(sum(latency_ms)), 0)::int FROM logs WHERE source = $1) AS latency`, [source])).rows[0]!;

  it('bad formats, log_formats and zones are refused naming the parameter', async () => {
    const bad = async (body: Record<string, string>, param: string): Promise<void> => {
      const res = await put('web', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<{ detail: string }>().detail).toContain(param);
    };
    await bad({ format: 'no-such-preset' }, 'format');
    await bad({ format: 'nginx', log_format: "log_format main '$remote_addr [$time_local" }, 'log_format');
    await bad({ format: 'auto', tz: 'Mars/Olympus' }, 'tz');
    expect((await svc.inject({ method: 'GET', url: '/sources/web/format' })).statusCode).toBe(404);
  });

  it("parses the source's lines with it from when it is set (its open segment closed); before, and without it, they are detected", async () => {
    const source = 'timed web/1';
    const url = `/sources/${encodeURIComponent(source)}/format`;
    const linesAt = (ms: number, from: number): string[] => Array.from({ length: 20 }, (_, k) => {
      const i = from + k;
      return `0.${String(100 + i)} ${i % 4 === 0 ? 503 : 200} 10.0.0.${i} [${timeLocal(ms)}] "GET /item/${i} HTTP/1.1" ${i * 10}`;
    });
    // Detected: no preset reads these lines, so each is kept as rejected.
    await send(source, linesAt(Date.now() - 5_000, 0));
    expect(await until(() => stored(source), (s) => s.rejected === 20)).toMatchObject({ n: 0, rejected: 20 });

    const set = await put(source, { format: 'nginx', log_format: LOG_FORMAT, tz: 'Europe/Berlin' });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ source, format: 'nginx', log_format: LOG_FORMAT, tz: 'Europe/Berlin' });
    expect((await svc.getJson(url)).body).toEqual(set.json());

    const lines = linesAt(Date.now() - 4_000, 20);
    await send(source, lines);
    const got = await until(() => stored(source), (s) => s.n >= 20);
    expect(got).toEqual({ n: 20, rejected: 20, errors: 5, latency: Math.round(lines.reduce((a, l) => a + Number(l.split(' ')[0]) * 1000, 0)) });

    expect((await svc.inject({ method: 'DELETE', url })).statusCode).toBe(204);
    expect((await svc.inject({ method: 'GET', url })).statusCode).toBe(404);
    expect((await svc.inject({ method: 'DELETE', url })).statusCode).toBe(404);
  }, 60_000);

  it('is documented (its scopes are checked with every route in src/api/auth.int.test.ts)', async () => {
    const { body: doc } = await svc.getJson<{ paths: Record<string, { put?: { summary?: string } }> }>('/docs/json');
    expect(doc.paths['/sources/{source}/format']?.put?.summary).toMatch(/format/);
  });
});

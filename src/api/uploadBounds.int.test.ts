/**
 * Issue 13, #8 and #9 through the API: values anyone can plant in a log (one request to a logged
 * nginx) must not fail a job or its rollups.
 *   #9: a 6,000-character method, protocol, host and client and a 20,000-character path: the job
 *       succeeds and every line is stored, with those fields null (the route cut), rollups consistent.
 *       The method is in the minute rollups' unique index, where a row over 2,704 bytes fails the job.
 *   #8: a 12-digit $request_time is rejected with its reason; two such uploads in one hour used to make
 *       every compaction pass of that hour fail with "bigint out of range".
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { compactRollups } from '../ingest/compactRollups.js';

/** Letters from a pseudo-random generator: a value that no compressor shortens below PostgreSQL's index row limit. */
function letters(n: number, seed: number): string {
  let x = seed;
  let out = '';
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    out += String.fromCharCode(65 + ((x >>> 16) % 26));
  }
  return out;
}

interface Summary {
  total_records: number;
  total_requests: number;
  top_endpoints: { route: string; count: number }[];
  latency_ms: { max: number | null };
}

describeBackends('bounded values through an upload on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind);
  });
  afterAll(async () => svc?.close());

  /** Compacts every dirty bucket now, as the maintenance loop would; any failure is returned. */
  async function compactAll(): Promise<string[]> {
    const failures: string[] = [];
    await compactRollups(svc.db, { quietMs: 0, maxDelayMs: 0, onBucketFailed: (f) => failures.push(`${f.table} ${f.bucket}: ${f.error}`) });
    return failures;
  }

  async function summary(source: string): Promise<Summary> {
    const res = await svc.getJson<Summary>(`/analytics/summary?source=${source}&top=10`);
    expect(res.status).toBe(200);
    return res.body;
  }

  it('#9: a 6,000-character method, protocol, host and client and a 20,000-character path: the job succeeds, every line stored', async () => {
    const logFormat = '$remote_addr - - [$time_local] "$request_method $uri$is_args$args $server_protocol" $status $body_bytes_sent "$http_user_agent" $host';
    const method = letters(6000, 1);
    const protocol = `HTTP/1.${letters(6000, 2).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) % 10))}`;
    const host = letters(6000, 3).toLowerCase();
    const client = letters(6000, 4).toLowerCase();
    const path = `/files/${letters(20_000, 5).toLowerCase()}`;
    const line = (sec: number, f: { method?: string; path?: string; protocol?: string; host?: string; client?: string }): string =>
      `${f.client ?? '10.0.0.1'} - - [05/Oct/2026:10:00:${String(sec).padStart(2, '0')} +0000] "${f.method ?? 'GET'} ${f.path ?? '/a'} ` +
      `${f.protocol ?? 'HTTP/1.1'}" 200 10 "curl/8" ${f.host ?? 'example.com'}`;
    const lines = [line(0, {}), line(1, { method }), line(2, { protocol }), line(3, { host }), line(4, { client }), line(5, { path }), line(6, {})];
    const up = await svc.upload(`${lines.join('\n')}\n`, { source: 'keys', format: 'nginx', log_format: logFormat });
    expect(up.status).toBe(202);
    const job = await svc.waitForJob(up.body.job_id);
    expect(job).toMatchObject({ status: 'succeeded', lines_processed: 7, lines_ingested: 7, lines_rejected: 0, error: null });

    const rows = await svc.db.query<{ line_no: number; method: string | null; endpoint_chars: number | null; route: string | null; protocol: string | null; host: string | null; client_ip: string | null; message: string }>(
      `SELECT line_no, method, length(endpoint) AS endpoint_chars, route, protocol, host, client_ip, message FROM logs WHERE job_id = $1 ORDER BY line_no`, [job.id],
    );
    const normal = { method: 'GET', endpoint_chars: 2, route: '/a', protocol: 'HTTP/1.1', host: 'example.com', client_ip: '10.0.0.1' };
    expect(rows.rows).toEqual([
      { line_no: 1, ...normal, message: 'GET /a HTTP/1.1' },
      // Not an HTTP method: not an HTTP request; the message keeps the request as logged.
      { line_no: 2, ...normal, method: null, endpoint_chars: null, route: null, protocol: null, message: `${method} /a HTTP/1.1` },
      { line_no: 3, ...normal, protocol: null, message: `GET /a ${protocol}` },
      { line_no: 4, ...normal, host: null, message: 'GET /a HTTP/1.1' },
      { line_no: 5, ...normal, client_ip: null, message: 'GET /a HTTP/1.1' },
      { line_no: 6, ...normal, endpoint_chars: path.length, route: '/files/{…}', message: `GET ${path} HTTP/1.1` },
      { line_no: 7, ...normal, message: 'GET /a HTTP/1.1' },
    ]);

    // Rollups agree with the rows, before and after compaction (the day's client tops are in a unique key too).
    const before = await summary('keys');
    expect(before).toMatchObject({ total_records: 7, total_requests: 7 });
    expect(before.top_endpoints).toEqual(expect.arrayContaining([expect.objectContaining({ route: '/a', count: 5 }), expect.objectContaining({ route: '/files/{…}', count: 1 })]));
    expect(await compactAll()).toEqual([]);
    expect(await summary('keys')).toEqual(before);
    const dirty = await svc.db.query('SELECT 1 FROM rollup_dirty');
    expect(dirty.rows).toEqual([]);
  });

  it('#9: a source has at most 200 characters, so at most 800 bytes in the rollup keys; one of 200 four-byte characters works', async () => {
    const body = '10.0.0.1 - - [07/Oct/2026:10:00:00 +0000] "GET /a HTTP/1.1" 200 10 "-" "curl/8"\n';
    for (const source of ['a'.repeat(201), '😀'.repeat(201)]) {
      const res = await svc.upload(body, { source });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/source/);
    }
    const source = '😀'.repeat(200); // characters as the upload counts them (code points): 400 UTF-16 units
    expect(Buffer.byteLength(source)).toBe(800);
    const up = await svc.upload(body, { source });
    expect(await svc.waitForJob(up.body.job_id)).toMatchObject({ status: 'succeeded', source, lines_ingested: 1 });
    expect(await compactAll()).toEqual([]);
    expect(await summary(encodeURIComponent(source))).toMatchObject({ total_records: 1 });
  });

  it('#8: a 12-digit $request_time is rejected with its reason; two such uploads in one hour compact', async () => {
    const line = (min: number, requestTime: string): string =>
      `10.0.0.9 - - [06/Oct/2026:10:${String(min).padStart(2, '0')}:00 +0000] "GET /slow HTTP/1.1" 200 10 "-" "curl/8" ${requestTime}`;
    for (const upload of [0, 1]) {
      // Five implausible lines per upload (nginx writes three decimals): 5 × 999,999,999,999 s in µs is 5 × 10^18; two uploads' hour parts sum past 2^63.
      const lines = [line(upload * 30, '0.250'), ...Array.from({ length: 5 }, (_, i) => line(upload * 30 + 1 + i, '999999999999.000'))];
      const up = await svc.upload(`${lines.join('\n')}\n`, { source: 'timed', format: 'nginx_combined_timed' });
      const job = await svc.waitForJob(up.body.job_id);
      expect(job).toMatchObject({ status: 'succeeded', lines_ingested: 1, lines_rejected: 5 });
      const rejected = await svc.getJson<{ items: { line_no: number; code: string; detail: string }[] }>(`/ingest/jobs/${job.id}/rejected`);
      const column = line(0, '').length + 1;
      expect(rejected.body.items.map((r) => [r.line_no, r.code, r.detail])).toEqual(
        [2, 3, 4, 5, 6].map((n) => [n, 'implausible_value', `$request_time 999999999999.000 s (over 30 days) at column ${column}`]),
      );
    }
    expect(await compactAll()).toEqual([]);
    expect(await summary('timed')).toMatchObject({ total_records: 2, latency_ms: { max: 250 } });
  });
});

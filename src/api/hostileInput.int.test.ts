/**
 * Hostile and broken input (issue 5) through the whole service:
 *   1. bad uploads: each answered with a problem naming it, or accepted with every line accounted for
 *      (rejected lines keep their reason); a refused upload leaves no job row and no spool file, and
 *      the service goes on working;
 *   2. filter fuzz: every filter of GET /logs, /analytics/* and /alerts/history with SQL
 *      metacharacters, odd encodings and huge or repeated values answers 200 or a 400 naming the
 *      parameter, never a 500; and values that would match everything or drop a table if spliced into
 *      SQL match only themselves, with every table and its row count unchanged.
 * `npm run soak` (SOAK) runs the fuzz properties much longer.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { ADMIN_HEADERS, SOAK } from '../../test/helpers/env.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { REJECTION_REASONS, type RejectionCode } from '../domain/rejection.js';
import type { IngestJob } from '../ingest/jobs.js';
import type { LogRow } from '../search/searchLogs.js';

const MAX_UPLOAD_BYTES = 200_000;
const MAX_LINE_BYTES = 1024;
const FUZZ_RUNS = SOAK ? 20_000 : 400;

interface Problem {
  status: number;
  code: string;
  detail: string;
  invalid_params?: { name: string; reason: string }[];
}

/** One nginx combined line at 2026-10-05 00:00:ss. */
function line(sec: number, path: string, ua = 'curl/8.0', status = 200): string {
  return `10.1.2.3 - - [05/Oct/2026:00:00:${String(sec).padStart(2, '0')} +0000] "GET ${path} HTTP/1.1" ${status} 100 "-" "${ua}"`;
}

/** Deterministic "random" bytes (mulberry32), so a failure reproduces. */
function noise(bytes: number, seed: number): Buffer {
  const out = Buffer.alloc(bytes);
  let a = seed;
  for (let i = 0; i < bytes; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/** Lines as the framer counts them: split on \n, a final unterminated line counts. */
function countLines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return buf.length > 0 && buf[buf.length - 1] !== 10 ? n + 1 : n;
}

describeBackends('hostile input on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, {
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), MAX_LINE_BYTES: String(MAX_LINE_BYTES), RATE_LIMIT_PER_MINUTE: '0', INGEST_CONCURRENCY: '2',
      // The fuzz sends eight searches at a time with one key; the per-key cap has its own test (rawQueries.int.test.ts).
      RAW_QUERIES_PER_KEY: '0',
    }, { listen: true });
  });
  afterAll(async () => svc?.close());

  const jobCount = async (): Promise<number> => (await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_jobs')).rows[0]!.n;

  describe('refused uploads: a problem naming it, no job row, no spool file', () => {
    /** A refused upload: the problem named, no job row, nothing left in the spool. */
    async function expectRefused(send: () => Promise<{ status: number; type: string; body: Problem }>, status: number, code: string, detail: RegExp): Promise<Problem> {
      const jobsBefore = await jobCount();
      const res = await send();
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
      expect(res.type).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toMatch(detail);
      expect(await jobCount()).toBe(jobsBefore);
      expect(fs.readdirSync(svc.config.spoolDir)).toEqual([]);
      return res.body;
    }
    const raw = (body: Buffer | string, contentType = 'application/octet-stream') => async () => {
      const res = await svc.inject({ method: 'POST', url: '/logs/upload', payload: body, headers: { 'content-type': contentType } });
      return { status: res.statusCode, type: String(res.headers['content-type']), body: res.json<Problem>() };
    };
    const multipart = (form: FormData | string, headers: Record<string, string> = {}) => async () => {
      const res = await fetch(`${svc.url}/logs/upload`, { method: 'POST', body: form, headers: { ...ADMIN_HEADERS, ...headers } });
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Problem };
    };
    const fileForm = (...files: [field: string, content: Buffer | string][]): FormData => {
      const form = new FormData();
      for (const [field, content] of files) form.append(field, new Blob([content]), `${field}.log`);
      return form;
    };

    it('executables, images and archives by their magic bytes: 415 naming what the file is', async () => {
      const elf = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\x00', 'latin1'), Buffer.alloc(3000), noise(500, 1)]);
      await expectRefused(raw(elf), 415, 'upload_not_text', /an ELF executable, not a text log/);
      const png = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), noise(2000, 2)]);
      await expectRefused(raw(png), 415, 'upload_not_text', /a PNG image/);
      // Logs packed with something other than gzip.
      await expectRefused(raw(Buffer.concat([Buffer.from('\xfd7zXZ\x00', 'latin1'), noise(300, 5)])), 415, 'upload_not_text', /xz-compressed/);
      await expectRefused(raw(Buffer.concat([Buffer.from('BZh91AY&SY'), noise(300, 6)])), 415, 'upload_not_text', /bzip2-compressed/);
      // Looked for after gunzip too: a zipped log inside gzip, and a tarball of logs.
      const zip = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), noise(1000, 3)]);
      await expectRefused(raw(zlib.gzipSync(zip)), 415, 'upload_not_text', /a zip archive/);
      const tar = Buffer.alloc(1024);
      tar.write('access.log', 0);
      tar.write('ustar\u000000', 257, 'latin1');
      await expectRefused(raw(zlib.gzipSync(tar)), 415, 'upload_not_text', /a tar archive/);
      await expectRefused(multipart(fileForm(['file', elf])), 415, 'upload_not_text', /ELF/);
    });

    it('a gzip bomb: 413 once the inflated bytes pass MAX_UPLOAD_BYTES', async () => {
      const bomb = zlib.gzipSync(Buffer.alloc(50_000_000, '\n'), { level: 9 });
      expect(bomb.length).toBeLessThan(MAX_UPLOAD_BYTES);
      await expectRefused(raw(bomb), 413, 'upload_too_large', new RegExp(`limit of ${MAX_UPLOAD_BYTES} bytes`));
      await expectRefused(raw(bomb, 'application/gzip'), 413, 'upload_too_large', /limit/);
      await expectRefused(multipart(fileForm(['file', bomb])), 413, 'upload_too_large', /limit/);
    });

    it('a multipart file over the limit: 413, not its head ingested as if whole', async () => {
      // Within the Content-Length slack, so busboy's fileSize limit is what stops it.
      const plain = Buffer.from(`${line(1, '/big')}\n`.repeat(Math.ceil((MAX_UPLOAD_BYTES + 30_000) / 80)));
      await expectRefused(multipart(fileForm(['file', plain])), 413, 'upload_too_large', /MAX_UPLOAD_BYTES/);
      const packed = zlib.gzipSync(noise(MAX_UPLOAD_BYTES + 30_000, 4), { level: 0 });
      await expectRefused(multipart(fileForm(['file', packed])), 413, 'upload_too_large', /MAX_UPLOAD_BYTES/);
    });

    it('empty, empty gzip and truncated gzip: 400 naming the problem', async () => {
      await expectRefused(raw(''), 400, 'upload_empty', /the uploaded file is empty/);
      await expectRefused(raw('', 'text/plain'), 400, 'upload_empty', /empty/);
      await expectRefused(multipart(fileForm(['file', ''])), 400, 'upload_empty', /empty/);
      await expectRefused(raw(zlib.gzipSync(Buffer.alloc(0))), 400, 'upload_empty', /gzip file decompresses to nothing/);
      const gz = zlib.gzipSync(Buffer.from(`${line(1, '/x')}\n`.repeat(200)));
      await expectRefused(raw(gz.subarray(0, gz.length - 12)), 400, 'upload_bad_gzip', /gzip data is corrupt or truncated/);
      await expectRefused(raw(gz.subarray(0, 2)), 400, 'upload_bad_gzip', /truncated/);
      // A valid member followed by bytes that are not one.
      await expectRefused(raw(Buffer.concat([gz, Buffer.from('trailing junk')])), 400, 'upload_bad_gzip', /corrupt/);
    });

    it('wrong content types: 415; multipart without a `file` field, without a boundary, or with two files: 400', async () => {
      const json = await expectRefused(raw('{"lines": ["a"]}', 'application/json'), 415, 'unsupported_media_type', /'application\/json' is not accepted/);
      expect(json.detail).toMatch(/multipart\/form-data/);
      await expectRefused(raw('null', 'application/json'), 415, 'unsupported_media_type', /application\/json/);
      await expectRefused(raw(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), 'image/png'), 415, 'fst_err_ctp_invalid_media_type', /Unsupported Media Type/);
      await expectRefused(raw('<html></html>', 'text/html'), 415, 'fst_err_ctp_invalid_media_type', /Unsupported Media Type/);

      const onlyFields = new FormData();
      onlyFields.append('source', 'x');
      const missing = await expectRefused(multipart(onlyFields), 400, 'invalid_parameter', /needs a `file` field/);
      expect(missing.invalid_params).toEqual([{ name: 'file', reason: 'multipart upload needs a `file` field' }]);
      await expectRefused(multipart(fileForm(['upload', line(1, '/x')])), 400, 'invalid_parameter', /needs a `file` field/);
      const asText = new FormData();
      asText.append('file', line(1, '/x'));
      await expectRefused(multipart(asText), 400, 'invalid_parameter', /needs a `file` field/);
      await expectRefused(multipart('--x\r\n', { 'content-type': 'multipart/form-data' }), 400, 'bad_multipart', /Boundary not found/);
      await expectRefused(multipart('garbage', { 'content-type': 'multipart/form-data; boundary=zz' }), 400, 'invalid_parameter', /needs a `file` field/);

      const two = await expectRefused(multipart(fileForm(['file', `${line(1, '/one')}\n`], ['file', `${line(2, '/two')}\n`])), 400, 'invalid_parameter', /one file per upload/);
      expect(two.invalid_params![0]!.name).toBe('file');
      await expectRefused(multipart(fileForm(['file', `${line(1, '/one')}\n`], ['other', `${line(2, '/two')}\n`])), 400, 'invalid_parameter', /one file per upload/);
    });
  });

  describe('accepted uploads of broken lines: every line ingested or rejected with its reason', () => {
    interface Outcome {
      job: IngestJob;
      rejected: { line_no: number; reason: string; code: string; detail: string; raw_log: string }[];
    }
    const long = line(2, `/${'x'.repeat(3 * MAX_LINE_BYTES)}`);
    const FILES: Record<string, Buffer> = {
      noise: noise(20_000, 7),
      utf8: Buffer.concat([
        Buffer.from(`${line(1, '/ok')}\n`),
        Buffer.from(`${line(2, '/caf\xe9', 'ua\xff\xfe')}\n`, 'latin1'),
        Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0x28, 0x0a]),
        Buffer.from(`${line(3, '/\xed\xa0\x80')}\n`, 'latin1'), // an encoded UTF-16 surrogate: not UTF-8
      ]),
      nul: Buffer.from(`${line(1, '/a\u0000b')}\n${line(2, '/ok', 'nul\u0000ua')}\n\u0000\u0000\u0000\u0000\n${line(3, '/end')}`),
      long: Buffer.from(`${line(1, '/before')}\n${long}\n${line(3, '/after')}\n`),
      // 150 KB without a newline: one line, and memory stays bounded by the line limit.
      oneLine: Buffer.alloc(150_000, 'y'),
    };
    const outcomes: Record<string, Outcome> = {};

    // Parsed together: a job costs a worker thread's start, and these are independent. (Sent one after
    // the other: a key streams at most MAX_UPLOADS_PER_KEY uploads at once.)
    beforeAll(async () => {
      const accepted: [string, string][] = [];
      for (const [source, body] of Object.entries(FILES)) {
        const res = await svc.upload(body, { source });
        expect(res.status).toBe(202);
        accepted.push([source, res.body.job_id]);
      }
      await Promise.all(accepted.map(async ([source, jobId]) => {
        const job = await svc.waitForJob(jobId);
        const rejected = await svc.getJson<{ items: Outcome['rejected'] }>(`/ingest/jobs/${job.id}/rejected?limit=1000`);
        outcomes[source] = { job, rejected: rejected.body.items };
      }));
    });

    const rows = async (source: string): Promise<LogRow[]> =>
      (await svc.getJson<{ items: LogRow[] }>(`/logs?source=${encodeURIComponent(source)}&limit=1000`)).body.items.sort((a, b) => a.line_no - b.line_no);

    it('every job succeeded, its counts add up to the lines of its file, every rejection has a reason; the spool is emptied', async () => {
      for (const [source, body] of Object.entries(FILES)) {
        const { job, rejected } = outcomes[source]!;
        expect({ source, status: job.status, error: job.error }).toEqual({ source, status: 'succeeded', error: null });
        expect(job.lines_processed).toBe(countLines(body));
        expect(job.lines_ingested + job.lines_rejected + job.lines_skipped).toBe(job.lines_processed);
        expect(rejected.length).toBe(job.lines_rejected);
        for (const r of rejected) {
          expect(r.reason).toBe(REJECTION_REASONS[r.code as RejectionCode]);
          expect(r.detail.length).toBeGreaterThan(0);
        }
      }
      await expect.poll(() => fs.readdirSync(svc.config.spoolDir), { timeout: 10_000 }).toEqual([]);
    });

    it('random bytes: every line rejected, stored as text PostgreSQL can hold', () => {
      const { job, rejected } = outcomes.noise!;
      expect(job.lines_ingested).toBe(0);
      expect(job.lines_rejected).toBeGreaterThan(50);
      // Invalid UTF-8 and NUL come back as \xNN escapes.
      for (const r of rejected) expect(r.raw_log).not.toContain('\u0000');
    });

    it('invalid UTF-8: stored with \\xNN escapes, a line of garbage rejected', async () => {
      const { job, rejected } = outcomes.utf8!;
      expect(job).toMatchObject({ lines_ingested: 3, lines_rejected: 1 });
      expect(rejected.map((r) => [r.line_no, r.raw_log])).toEqual([[3, '\\xC3(\\xA0\\xA1\\xF0(\\x8C(']]);
      const stored = await rows('utf8');
      expect(stored.map((r) => r.endpoint)).toEqual(['/ok', '/caf\\xE9', '/\\xED\\xA0\\x80']);
      expect(stored[1]!.user_agent).toBe('ua\\xFF\\xFE');
    });

    it('NUL bytes: escaped as \\x00 inside a line, a line of NULs rejected', async () => {
      const { job, rejected } = outcomes.nul!;
      expect(job).toMatchObject({ lines_ingested: 3, lines_rejected: 1, lines_processed: 4 });
      expect(rejected.map((r) => [r.line_no, r.raw_log])).toEqual([[3, '\\x00\\x00\\x00\\x00']]);
      const stored = await rows('nul');
      expect(stored.map((r) => r.endpoint)).toEqual(['/a\\x00b', '/ok', '/end']);
      expect(stored[1]!.user_agent).toBe('nul\\x00ua');
    });

    it('a line over MAX_LINE_BYTES: rejected with its reason and stored truncated; its neighbours ingested', () => {
      const { job, rejected } = outcomes.long!;
      expect(job).toMatchObject({ lines_ingested: 2, lines_rejected: 1 });
      expect(rejected.map((r) => [r.line_no, r.code, r.detail, r.raw_log])).toEqual([
        [2, 'line_too_long', `over ${MAX_LINE_BYTES} bytes; the first ${MAX_LINE_BYTES} are stored`, long.slice(0, MAX_LINE_BYTES)],
      ]);
      expect(outcomes.oneLine!.job).toMatchObject({ lines_processed: 1, lines_rejected: 1 });
      expect(outcomes.oneLine!.rejected[0]!.raw_log).toBe('y'.repeat(MAX_LINE_BYTES));
    });
  });

  it('afterwards the service is healthy: /readyz 200 and normal uploads ingest', async () => {
    expect((await svc.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const res = await svc.upload(`${line(1, '/fine')}\n${line(2, '/fine')}\n`, { source: 'after' });
    expect(res.status).toBe(202);
    const form = new FormData();
    form.append('source', 'after-multipart');
    form.append('file', new Blob([`${line(3, '/fine')}\n`]), 'ok.log');
    const multi = await fetch(`${svc.url}/logs/upload`, { method: 'POST', body: form, headers: ADMIN_HEADERS });
    expect(multi.status).toBe(202);
    const [a, b] = await Promise.all([svc.waitForJob(res.body.job_id), svc.waitForJob(((await multi.json()) as { job_id: string }).job_id)]);
    expect(a).toMatchObject({ status: 'succeeded', lines_ingested: 2, lines_rejected: 0 });
    expect(b).toMatchObject({ status: 'succeeded', lines_ingested: 1, file_name: 'ok.log', source: 'after-multipart' });
  });

  describe('filter fuzz', () => {
    const DROP = "'); DROP TABLE logs; --";
    const seedLines = [
      line(1, '/api/users'), line(2, '/api/users', "sqlmap' OR 1=1 --"), line(3, '/_next/static'), line(4, '/100%25/x'),
      line(5, '/api/orders', 'back\\slash'), line(6, '/api/users', DROP, 500), line(7, '/caf%C3%A9'),
    ];
    let snapshot: Awaited<ReturnType<typeof tables>>;

    /**
     * Every table's name, and the row counts of the tables only requests write (background work —
     * rollup compaction, daily client lists — changes the others' counts on its own schedule).
     */
    async function tables(): Promise<{ names: string[]; counts: Record<string, number> }> {
      const res = await svc.db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`);
      const counts: Record<string, number> = {};
      for (const t of ['logs', 'rejected_lines', 'ingest_jobs', 'alert_rules', 'alert_history', 'alert_silences', 'api_keys', 'route_rules']) {
        counts[t] = (await svc.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n;
      }
      return { names: res.rows.map((r) => r.table_name), counts };
    }

    beforeAll(async () => {
      // The same lines under an ordinary source and under one that is an injection attempt itself.
      await Promise.all(['fuzz', DROP].map(async (source) => {
        const res = await svc.upload(`${seedLines.join('\n')}\n`, { source, force: 'true' });
        expect(res.status).toBe(202);
        expect(await svc.waitForJob(res.body.job_id)).toMatchObject({ status: 'succeeded', lines_ingested: seedLines.length });
      }));
      snapshot = await tables();
      expect(snapshot.counts.logs).toBeGreaterThanOrEqual(2 * seedLines.length);
    });

    const ENDPOINTS: Record<string, string[]> = {
      '/logs': ['start_date', 'end_date', 'level', 'status_code', 'route', 'endpoint', 'method', 'source', 'q', 'limit', 'cursor'],
      '/analytics/summary': ['start_date', 'end_date', 'source', 'top', 'compare'],
      '/analytics/traffic': ['start_date', 'end_date', 'source', 'interval', 'group_by'],
      '/analytics/endpoints': ['start_date', 'end_date', 'source', 'sort', 'limit', 'min_count'],
      '/analytics/status-codes': ['start_date', 'end_date', 'source'],
      '/analytics/clients': ['start_date', 'end_date', 'source', 'limit', 'exact'],
      '/alerts/history': ['rule_id', 'state', 'severity', 'start_date', 'end_date', 'cursor', 'limit'],
    };
    const HOSTILE = [
      "'", '"', ';', '--', '/*', '*/', '%', '_', '\\', "' OR 1=1 --", "' OR '1'='1", DROP, "1; SELECT pg_sleep(10)", '$1', '::text',
      'é漢字🙂', '\u202e', '\ufeff', '\u0000', 'a\u0000b', '\ud800', '', ' ', '-1', '0', '1e308', '99999999999999999999', '9007199254740993',
      'NaN', 'Infinity', '1.5', '0x10', '*', '/*', '5xx,', ',,,', '999-100', '600', 'true', 'previous', 'day',
      '0000-01-01', '0001-01-01', '1969-12-31T23:59:59Z', '9999-12-31T23:59:59Z', '2026-02-30', '2026-13-01', '2026-01-01T25:00:00Z',
      '1970-01-01T00:00:00+14:00', '2100-01-01T00:00:00-14:00', `'${'x'.repeat(10_000)}`, "'".repeat(100_000),
    ];
    /** Written into the URL as is: broken percent-encoding and encoded bytes that are not UTF-8. */
    const RAW = ['%', '%ZZ', '%00', '%C0%AF', '%ED%A0%80', '%FF%FE', '%2', 'a%00b', '%27%20OR%201=1--'];

    /**
     * The start of a URL: on the embedded database a search no index serves (q, endpoint, exact clients)
     * needs a range of at most EMBEDDED_SCAN_MAX_DAYS, so those parameters are fuzzed within the seed day.
     */
    const SEED_DAY = 'start_date=2026-10-05&end_date=2026-10-06';
    const urlStart = (path: string, p: string): string =>
      (path === '/logs' && (p === 'q' || p === 'endpoint')) || (path === '/analytics/clients' && p === 'exact') ? `${path}?${SEED_DAY}&` : `${path}?`;

    /** 200, or 400 problem+json naming one of `names` (or, as an unknown parameter, `name[]`, `name[0]`, `name.x`); never anything else. */
    function expectHandled(res: { statusCode: number; headers: Record<string, unknown>; body: string }, names: string[], url: string): void {
      if (res.statusCode === 200) return;
      const ctx = `${url.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
      expect(res.statusCode, ctx).toBe(400);
      expect(String(res.headers['content-type']), ctx).toMatch(/^application\/problem\+json/);
      const p = JSON.parse(res.body) as Problem;
      expect(p.code, ctx).toBe('invalid_parameter');
      const named = (x: { name: string }): boolean => names.some((n) => x.name === n || x.name.startsWith(`${n}[`) || x.name.startsWith(`${n}.`));
      expect(p.invalid_params?.some(named), ctx).toBe(true);
    }

    it('a parameter the route does not take is a 400 naming it, on every route (it was ignored: a typo answered unfiltered data)', async () => {
      for (const path of Object.keys(ENDPOINTS)) {
        const url = `${path}?staus_code=500&xyz=1`;
        const res = await svc.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(400);
        const p = JSON.parse(res.body) as Problem;
        expect(p.code, url).toBe('invalid_parameter');
        expect(p.invalid_params, url).toEqual([{ name: 'staus_code', reason: 'unknown parameter' }, { name: 'xyz', reason: 'unknown parameter' }]);
      }
    });

    it('every parameter with SQL metacharacters, odd encodings, huge and repeated values: 200 or a 400 naming it', async () => {
      for (const [path, params] of Object.entries(ENDPOINTS)) {
        for (const p of params) {
          const start = urlStart(path, p);
          const urls = [
            ...HOSTILE.map((v) => `${start}${new URLSearchParams([[p, v]]).toString()}`),
            ...RAW.map((v) => `${start}${p}=${v}`),
            `${start}${p}=a&${p}=b`, `${start}${p}=2026-10-05&${p}=2026-10-06`, `${start}${p}[]=a`, `${start}${p}[0]=a&${p}[1]=b`, `${start}${p}.x=a`,
          ];
          // A few at a time: the checks are independent and the server is the thing under test.
          for (let i = 0; i < urls.length; i += 8) {
            await Promise.all(urls.slice(i, i + 8).map(async (url) => {
              const res = await svc.inject({ method: 'GET', url });
              expectHandled({ statusCode: res.statusCode, headers: res.headers, body: res.body }, [p], url);
            }));
          }
        }
      }
    });

    it('random combinations of parameters and values (fast-check): 200 or a 400 naming one of them', async () => {
      const fragment = fc.constantFrom(...HOSTILE.filter((v) => v.length < 100), ...RAW.map((v) => decodeURIComponentSafe(v)), '2026-10-05T00:00:00Z', '5xx', 'ERROR', '/api/*', 'fuzz', ',');
      const value = fc.oneof(
        fragment,
        fc.array(fragment, { maxLength: 6 }).map((a) => a.join('')),
        fc.string({ unit: 'binary', maxLength: 64 }),
        fc.string({ unit: 'grapheme', maxLength: 32 }),
        fc.tuple(fragment, fc.integer({ min: 1, max: 20_000 })).map(([f, n]) => f.repeat(Math.ceil(n / Math.max(1, f.length)))),
      );
      // Bytes percent-encoded one by one: lone surrogates and invalid UTF-8 reach the server as they are.
      const encode = (v: string | Uint8Array): string => [...(typeof v === 'string' ? Buffer.from(v) : v)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
      const query = fc.constantFrom(...Object.keys(ENDPOINTS)).chain((path) => fc.tuple(
        fc.constant(path),
        fc.array(fc.tuple(fc.constantFrom(...ENDPOINTS[path]!), fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) })), { minLength: 1, maxLength: 5 }),
      ));
      await fc.assert(fc.asyncProperty(query, async ([path, pairs]) => {
        const url = `${path}?${pairs.map(([k, v]) => `${k}=${encode(v)}`).join('&')}`;
        const res = await svc.inject({ method: 'GET', url });
        expectHandled({ statusCode: res.statusCode, headers: res.headers, body: res.body }, [...ENDPOINTS[path]!, 'interval'], url);
      }), { numRuns: FUZZ_RUNS });
    });

    it('dates outside 1970–2100 are a 400 naming the parameter (they were 500s), the whole range a 200', async () => {
      for (const url of ['/logs?start_date=0000-01-01', '/analytics/summary?start_date=9999-12-31T23:59:59Z', '/analytics/clients?end_date=0001-01-01',
        '/alerts/history?end_date=2100-01-01T00:00:01Z']) {
        const res = await svc.getJson<Problem>(url);
        expect(res.status, url).toBe(400);
        expect(res.body.invalid_params![0]!.reason, url).toBe('must be between 1970-01-01 and 2100-01-01');
      }
      const range = 'start_date=1970-01-01&end_date=2100-01-01';
      for (const url of [`/logs?${range}`, `/analytics/summary?${range}&compare=previous`, `/analytics/endpoints?${range}`,
        `/analytics/status-codes?${range}`, `/analytics/clients?${range}`, `/alerts/history?${range}`]) {
        expect((await svc.inject({ method: 'GET', url })).statusCode, url).toBe(200);
      }
      // Counting every address of 130 years from raw rows: PostgreSQL's statement_timeout bounds it; the
      // embedded database refuses a range over EMBEDDED_SCAN_MAX_DAYS, naming start_date.
      const exactAll = await svc.inject({ method: 'GET', url: `/analytics/clients?${range}&exact=true` });
      expect(exactAll.statusCode).toBe(kind === 'postgres' ? 200 : 400);
      if (kind === 'pglite') expect(exactAll.json<Problem>().invalid_params![0]!.name).toBe('start_date');
      // 130 years of days is more points than a chart takes: refused, naming the interval.
      const traffic = await svc.getJson<Problem>(`/analytics/traffic?${range}&group_by=route`);
      expect(traffic.status).toBe(400);
      expect(traffic.body.invalid_params![0]!.name).toBe('interval');
      expect((await svc.inject({ method: 'GET', url: '/analytics/traffic?start_date=1970-01-01&end_date=1970-06-01' })).statusCode).toBe(200);
    });

    it('over real HTTP a 100k-character query is refused before the API (431), and the next request is served', async () => {
      const res = await fetch(`${svc.url}/logs?q=${'x'.repeat(100_000)}`, { headers: ADMIN_HEADERS });
      expect(res.status).toBe(431); // Node's request-line/header limit (16 KiB by default)
      const ok = await fetch(`${svc.url}/logs?q=x&${SEED_DAY}`, { headers: ADMIN_HEADERS });
      expect(ok.status).toBe(200);
    });

    it('a cursor that is not one the API wrote is a 400 naming cursor on /logs and /ingest/jobs (they were 500s)', async () => {
      const b64 = (text: string): string => Buffer.from(text).toString('base64url');
      const T = '2026-10-05T00:00:01Z';
      const UUID = '00000000-0000-4000-8000-000000000000';
      const logCursors = [
        ['foo 12', 1], ['2026-13-45T99:99:99Z', 1], ['2026-02-30T00:00:00Z', 1], ['12', 1], ['2026-10-05 00:00:01', 1], ['0000-01-01T00:00:00Z', 1],
        ['+010000-01-01T00:00:00Z', 1], [T, 2 ** 53], [T, 1e300], [T, -1], [T, 1.5], [T, '1'], [T, null], [T], [T, 1, 2], [1, T], 'x', {},
      ].map((v) => b64(JSON.stringify(v)));
      // Written as text: JSON.parse makes 9007199254740993 a float and 1e400 Infinity.
      logCursors.push(b64(`["${T}", 9007199254740993]`), b64(`["${T}", 1e400]`), b64('not json'), '!!!', '');
      const jobCursors = [
        `foo 12|${UUID}`, `2026-13-45T99:99:99Z|${UUID}`, `${T}|${'-'.repeat(36)}`, `${T}|not-a-uuid`, `${T}|${UUID.toUpperCase()}x`,
        `${T}|${UUID}|extra`, `|${UUID}`, `${T}|`, '|', `12|${UUID}`,
      ].map(b64);
      for (const [path, cursors] of [['/logs', logCursors], ['/ingest/jobs', jobCursors]] as const) {
        for (const cursor of cursors) {
          if (cursor === '') continue; // an empty cursor is no cursor: the first page
          const url = `${path}?cursor=${cursor}`;
          const res = await svc.inject({ method: 'GET', url });
          expect(res.statusCode, `${url} ${res.body.slice(0, 200)}`).toBe(400);
          expect(res.json<Problem>().invalid_params![0]!.name, url).toBe('cursor');
        }
      }
      // The cursors the API writes still page.
      for (const path of ['/logs?source=fuzz&limit=2', '/ingest/jobs?limit=1']) {
        const first = await svc.getJson<{ next_cursor: string | null }>(path);
        expect(first.body.next_cursor, path).not.toBeNull();
        expect((await svc.inject({ method: 'GET', url: `${path}&cursor=${first.body.next_cursor!}` })).statusCode, path).toBe(200);
      }
    });

    it('no injection: values that would match everything or drop a table match only themselves', async () => {
      const logs = async (query: Record<string, string>): Promise<LogRow[]> => {
        const params = new URLSearchParams({ limit: '1000', start_date: '2026-10-05', end_date: '2026-10-06', ...query });
        const res = await svc.getJson<{ items: LogRow[] }>(`/logs?${params.toString()}`);
        expect(res.status).toBe(200);
        return res.body.items;
      };
      const lineNos = (items: LogRow[]): number[] => items.map((r) => r.line_no).sort((a, b) => a - b);
      const expected = (pred: (l: string) => boolean): number[] => seedLines.flatMap((l, i) => (pred(l) ? [i + 1] : []));

      // q is a substring of the raw line; LIKE's wildcards and escape are literal.
      expect(lineNos(await logs({ source: 'fuzz', q: "' OR 1=1 --" }))).toEqual(expected((l) => l.includes("' OR 1=1 --")));
      expect(lineNos(await logs({ source: 'fuzz', q: DROP }))).toEqual(expected((l) => l.includes(DROP)));
      for (const q of ['%', '_', '\\', "'", '%%', '_%_']) {
        expect(lineNos(await logs({ source: 'fuzz', q })), q).toEqual(expected((l) => l.toLowerCase().includes(q.toLowerCase())));
      }
      // source is an exact match, the DROP one included.
      for (const source of ["' OR '1'='1", "fuzz' OR 'a'='a", 'fuzz;', 'fuzz--', '%', 'f_zz']) expect(await logs({ source }), source).toEqual([]);
      expect(lineNos(await logs({ source: DROP }))).toEqual(expected(() => true));
      expect((await logs({ source: DROP })).every((r) => r.source === DROP)).toBe(true);
      // endpoint: exact, or a literal prefix before a trailing `*`.
      expect(await logs({ source: 'fuzz', endpoint: "/api/users' OR '1'='1" })).toEqual([]);
      expect(await logs({ source: 'fuzz', endpoint: '%*' })).toEqual([]);
      expect(await logs({ source: 'fuzz', endpoint: '/_pi/*' })).toEqual([]);
      expect(lineNos(await logs({ source: 'fuzz', endpoint: '/_*' }))).toEqual(expected((l) => l.includes('GET /_')));
      expect(lineNos(await logs({ source: 'fuzz', endpoint: '/100%*' }))).toEqual(expected((l) => l.includes('GET /100%')));

      // Analytics take the source literally too.
      const summary = async (source: string) => (await svc.getJson<{ total_records: number }>(`/analytics/summary?source=${encodeURIComponent(source)}`)).body.total_records;
      expect(await summary("' OR '1'='1")).toBe(0);
      expect(await summary("fuzz' --")).toBe(0);
      expect(await summary(DROP)).toBe(seedLines.length);
      expect(await summary('fuzz')).toBe(seedLines.length);

      // Every table is still there with the rows it had.
      expect(await tables()).toEqual(snapshot);
    });
  });
});

/** The raw fragments decoded where they decode, so the fuzz also sends them percent-encoded. */
function decodeURIComponentSafe(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

import fs from 'node:fs';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { ADMIN_HEADERS } from '../../test/helpers/env.js';
import { readCombined } from '../../test/helpers/logFiles.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { probeAccessLog, siteAccessLog } from '../../test/helpers/siteLog.js';

/** A newline-terminated text's lines. */
const linesOf = (text: string): string[] => text.slice(0, -1).split('\n');

/**
 * Three lines of a boot server's log; the second lost its ident and user fields (`- -`), as in lnav's
 * logfile_bad_access_log.0, so it matches no layout while its neighbours do.
 */
const ONE_BAD_LINE = [
  '10.0.0.7 - - [03/Mar/2021:08:15:02 +0000] "GET /boot/menu.cfg HTTP/1.0" 200 512 "-" "iPXE/1.20.1"',
  '10.0.0.7 [03/Mar/2021:08:15:04 +0000] "GET /boot/vmlinuz HTTP/1.0" 404 209 "-" "iPXE/1.20.1"',
  '10.0.0.7 - - [03/Mar/2021:08:15:05 +0000] "GET /boot/initrd.img HTTP/1.0" 200 40211 "-" "iPXE/1.20.1"',
].map((l) => `${l}\n`).join('');

describeBackends('POST /logs/upload on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, {}, { listen: true });
  });
  afterAll(async () => svc?.close());

  it('accepts a combined log with 202, ingests every line, and reports the detected format', async () => {
    const text = siteAccessLog();
    const lines = linesOf(text).length;
    const firstMs = Math.min(...linesOf(text).map((l) => readCombined(l)!.timeMs));
    const res = await svc.upload(text, { source: 'site' });
    expect(res.status).toBe(202);
    expect(res.body.status_url).toBe(`/ingest/jobs/${res.body.job_id}`);
    expect(res.body.duplicate_of).toBeNull();
    const job = await svc.waitForJob(res.body.job_id);
    expect(job).toMatchObject({
      status: 'succeeded', source: 'site', lines_ingested: lines, lines_rejected: 0, lines_skipped: 0,
      records_ingested: lines, lines_processed: lines, bytes_total: Buffer.byteLength(text), bytes_processed: Buffer.byteLength(text), error: null,
    });
    expect(job.format).toMatch(/combined/);
    expect(job.min_timestamp).toBe(new Date(firstMs).toISOString().replace('.000Z', 'Z'));
    const stored = await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM logs WHERE job_id = $1', [job.id]);
    expect(stored.rows[0]!.n).toBe(lines);
    // The spool file goes once the job has succeeded.
    await expect.poll(() => fs.readdirSync(svc.config.spoolDir), { timeout: 5000 }).toEqual([]);

    const again = await svc.upload(text, { source: 'site' });
    expect(again.status).toBe(200);
    expect(again.body.duplicate_of).toBe(job.id);
    expect(again.body.job_id).toBe(job.id);

    const forced = await svc.upload(text, { force: 'true', source: 'copy' });
    expect(forced.status).toBe(202);
    expect(forced.body.job_id).not.toBe(job.id);
    expect((await svc.waitForJob(forced.body.job_id)).lines_ingested).toBe(lines);
  });

  it('recognises gzip by its magic bytes and ingests the decompressed lines', async () => {
    const plain = Buffer.from(probeAccessLog());
    const res = await svc.upload(zlib.gzipSync(plain), { source: 'probes' });
    expect(res.status).toBe(202);
    const job = await svc.waitForJob(res.body.job_id);
    expect(job).toMatchObject({ status: 'succeeded', gzip: true, bytes_total: plain.length, lines_ingested: linesOf(probeAccessLog()).length, lines_rejected: 0 });
  });

  it('accepts a multipart upload with options as fields', async () => {
    const form = new FormData();
    form.append('source', 'boot');
    form.append('format', 'auto');
    form.append('file', new Blob([ONE_BAD_LINE]), 'bad.log');
    const res = await fetch(`${svc.url}/logs/upload`, { method: 'POST', body: form, headers: ADMIN_HEADERS });
    expect(res.status).toBe(202);
    const { job_id } = (await res.json()) as { job_id: string };
    const job = await svc.waitForJob(job_id);
    const unreadable = linesOf(ONE_BAD_LINE).flatMap((l, i) => (readCombined(l) ? [] : [i + 1]));
    expect(unreadable).toEqual([2]);
    expect(job).toMatchObject({ status: 'succeeded', source: 'boot', file_name: 'bad.log', lines_processed: 3, lines_ingested: 2, lines_rejected: 1 });

    // The broken line 2 is kept, with its number, reason code and detail.
    const rejected = await svc.getJson<{ items: { line_no: number; reason: string; code: string; detail: string; raw_log: string }[] }>(
      `/ingest/jobs/${job_id}/rejected`,
    );
    expect(rejected.status).toBe(200);
    expect(rejected.body.items).toEqual([{
      line_no: 2, line_count: 1, code: 'layout_mismatch', reason: 'line does not match the format',
      detail: "nginx_combined: expected ' - ' after $remote_addr (column 1)", raw_log: expect.any(String) as unknown,
    }]);
  });

  it('answers bad uploads with problem+json naming the problem', async () => {
    const empty = await svc.inject({ method: 'POST', url: '/logs/upload', payload: '', headers: { 'content-type': 'text/plain' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.headers['content-type']).toMatch(/^application\/problem\+json/);

    const badFormat = await svc.upload('x\n', { format: 'not-a-format' });
    expect(badFormat.status).toBe(400);
    expect((badFormat.body as unknown as { invalid_params: { name: string }[] }).invalid_params[0]!.name).toBe('format');

    const badLogFormat = await svc.upload('x\n', { format: 'nginx', log_format: "log_format main '$remote_addr [$time_local" });
    expect(badLogFormat.status).toBe(400);

    const truncatedGzip = zlib.gzipSync(Buffer.alloc(100_000, 'a')).subarray(0, 50);
    const bad = await svc.upload(truncatedGzip);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/gzip/);

    const missing = await svc.getJson<{ status: number }>('/ingest/jobs/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    const notUuid = await svc.getJson<{ invalid_params: { name: string }[] }>('/ingest/jobs/42');
    expect(notUuid.status).toBe(400);
    expect(notUuid.body.invalid_params[0]!.name).toBe('id');
  });
});

describe('upload limits', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('pglite', { MAX_UPLOAD_BYTES: '1000' });
  });
  afterAll(async () => svc?.close());

  it('answers 413 for a body over MAX_UPLOAD_BYTES and for a gzip that inflates past it', async () => {
    const big = await svc.upload(Buffer.alloc(5000, 'a'));
    expect(big.status).toBe(413);
    const bomb = await svc.upload(zlib.gzipSync(Buffer.alloc(1_000_000, '\n')));
    expect(bomb.status).toBe(413);
    expect(fs.readdirSync(svc.config.spoolDir)).toEqual([]);
  });
});

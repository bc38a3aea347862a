import fs from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldUpload, type HeldUpload } from '../../test/helpers/heldUpload.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { wideLog } from '../../test/helpers/wideLog.js';

/** Spool quota, per-key concurrent uploads and the upload idle timeout (issue 13, defects 11 and 20). */

const jobCount = async (svc: TestService): Promise<number> =>
  (await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_jobs')).rows[0]!.n;

/** Sizes of the files in the spool: an upload streaming in has its file there from its first bytes. */
const spoolFiles = (svc: TestService): number[] =>
  fs.readdirSync(svc.config.spoolDir).map((f) => fs.statSync(`${svc.config.spoolDir}/${f}`).size);

describe('spool quota and uploads per key', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('pglite', { SPOOL_MAX_BYTES: '200000' }, { listen: true });
  });
  afterAll(async () => svc?.close());

  it('an upload that would take the spool past SPOOL_MAX_BYTES gets 507 spool_full, leaving no file and no job', async () => {
    const big = wideLog(140); // about 140 KB
    const first = heldUpload(svc.url, { contentLength: big.length, first: big.slice(0, 100_000), query: 'source=first' });
    await expect.poll(() => spoolFiles(svc)[0] ?? 0, { timeout: 20_000 }).toBeGreaterThanOrEqual(90_000);

    // Declared (Content-Length) too large for what is left, next to the upload in progress.
    const declared = await svc.upload(wideLog(100), { source: 'second' });
    expect(declared.status).toBe(507);
    expect(declared.body).toMatchObject({ code: 'spool_full' });
    expect(declared.body.detail).toMatch(/^the spool holds .* of uploads in progress\); .* more of this upload would take it over SPOOL_MAX_BYTES \(195\.3 KiB\)/);
    // Not declared (a stream): refused as its bytes arrive.
    const streamed = await svc.inject({
      method: 'POST', url: '/logs/upload?source=third', headers: { 'content-type': 'application/octet-stream' },
      payload: Readable.from(wideLog(150).match(/[^]{1,16384}/g)!.map((c) => Buffer.from(c))),
    });
    expect(streamed.statusCode).toBe(507);
    expect(streamed.json()).toMatchObject({ code: 'spool_full' });
    expect(spoolFiles(svc)).toHaveLength(1);
    expect(await jobCount(svc)).toBe(0);

    // The first upload completes; once its job is done (its file removed), uploads fit again.
    first.send(big.slice(100_000));
    const answer = await first.response;
    expect(answer.status).toBe(202);
    first.destroy();
    expect((await svc.waitForJob((JSON.parse(answer.body) as { job_id: string }).job_id)).status).toBe('succeeded');
    await expect.poll(() => spoolFiles(svc), { timeout: 10_000 }).toEqual([]);
    const again = await svc.upload(wideLog(100), { source: 'second' });
    expect(again.status).toBe(202);
    await svc.waitForJob(again.body.job_id);
    await expect.poll(() => spoolFiles(svc), { timeout: 10_000 }).toEqual([]);
  });

  it('a key streams at most 4 uploads at once: the fifth gets 429 with Retry-After; a slot frees when an upload ends', async () => {
    const text = (n: number): string => wideLog(3).replace(/GET \/items\//g, `GET /slot-${n}/`);
    const held: HeldUpload[] = [];
    for (let i = 0; i < 4; i++) {
      const t = text(i);
      held.push(heldUpload(svc.url, { contentLength: t.length, first: t.slice(0, 500), query: `source=slots-${i}` }));
    }
    // All four are in the route, each with its spool file.
    await expect.poll(() => spoolFiles(svc).length, { timeout: 20_000 }).toBe(4);
    const fifth = await svc.upload(text(4), { source: 'slots-4' });
    expect(fifth.status).toBe(429);
    expect(fifth.body).toMatchObject({ code: 'too_many_uploads' });

    const withRetry = await svc.inject({ method: 'POST', url: '/logs/upload', payload: text(4), headers: { 'content-type': 'text/plain' } });
    expect(withRetry.headers['retry-after']).toBe('5');
    for (const [i, h] of held.entries()) h.send(text(i).slice(500));
    for (const h of held) {
      expect((await h.response).status).toBe(202);
      h.destroy();
    }
    expect((await svc.upload(text(4), { source: 'slots-4' })).status).toBe(202);
  });
});

describe('upload idle timeout', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('pglite', { UPLOAD_IDLE_TIMEOUT_MS: '500' }, { listen: true });
  });
  afterAll(async () => svc?.close());

  it('an upload that stops sending gets 408 and a closed connection, leaves no file and no job, and frees its slot', async () => {
    const text = wideLog(5);
    const boundary = 'x-boundary';
    const multipartHead = `--${boundary}\r\nContent-Disposition: form-data; name="source"\r\n\r\nidle\r\n`;
    // Four raw bodies half sent, and a multipart one stopped before its file part: as many as one key may send at once.
    const idle = [
      ...Array.from({ length: 3 }, (_, i) => heldUpload(svc.url, { contentLength: text.length, first: text.slice(0, 2000), query: `source=idle-${i}` })),
      heldUpload(svc.url, {
        contentLength: 100_000, first: multipartHead, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      }),
    ];
    for (const upload of idle) {
      const answer = await upload.response;
      expect(answer.status).toBe(408);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.headers.connection).toBe('close');
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'upload_idle_timeout' });
      await upload.closed;
    }
    expect(fs.readdirSync(svc.config.spoolDir)).toEqual([]);
    expect(await jobCount(svc)).toBe(0);
    // Their slots are free again: a fifth upload of the same key goes through.
    const res = await svc.upload(text, { source: 'after-idle' });
    expect(res.status).toBe(202);
  }, 60_000);
});

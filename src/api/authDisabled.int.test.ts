import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_HEADERS } from '../../test/helpers/env.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';

const line = (sec: number) => `10.1.2.3 - - [05/Oct/2026:00:00:${String(sec).padStart(2, '0')} +0000] "GET /x HTTP/1.1" 200 100 "-" "curl/8.0"\n`;

/** What a web page may send to any origin without a preflight: a form, or fetch() with text/plain. */
const simpleUpload = (svc: TestService, body: string, headers: Record<string, string> = {}) =>
  svc.inject({ method: 'POST', url: '/logs/upload', payload: body, headers: { authorization: '', 'content-type': 'text/plain', ...headers } });

describe('AUTH_DISABLED on the default HOST (127.0.0.1): DNS rebinding and cross-site uploads (PGlite)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('pglite', { AUTH_DISABLED: 'true' }, { listen: true });
  });
  afterAll(async () => svc?.close());

  it('answers requests addressed to a loopback name, and refuses any other Host with 403 saying why', async () => {
    for (const host of ['localhost:8000', '127.0.0.1:8000', '[::1]:8000']) {
      expect((await svc.inject({ method: 'GET', url: '/logs', headers: { authorization: '', host } })).statusCode, host).toBe(200);
    }
    for (const url of ['/logs', '/analytics/summary', '/', '/healthz']) {
      const res = await svc.inject({ method: 'GET', url, headers: { authorization: '', host: 'evil.example' } });
      expect(res.statusCode, url).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json<{ code: string; detail: string }>()).toMatchObject({ code: 'host_not_allowed', detail: expect.stringMatching(/DNS rebinding/) as unknown });
    }
  });

  it('refuses an upload a web page could send (text/plain, a form) unless it carries X-Requested-By', async () => {
    const simple = await simpleUpload(svc, line(1));
    expect(simple.statusCode).toBe(403);
    expect(simple.json<{ code: string; detail: string }>()).toMatchObject({ code: 'simple_request_refused', detail: expect.stringMatching(/X-Requested-By/) as unknown });
    const form = new FormData();
    form.append('file', new Blob([line(2)]), 'access.log');
    // As a page's form would post it, over real HTTP (Host 127.0.0.1:port).
    const multipart = await fetch(`${svc.url}/logs/upload`, { method: 'POST', body: form });
    expect(multipart.status).toBe(403);
    expect(await svc.db.query('SELECT 1 FROM ingest_jobs')).toMatchObject({ rowCount: 0 }); // nothing was taken

    const withHeader = await simpleUpload(svc, line(3), { 'x-requested-by': 'curl' });
    expect(withHeader.statusCode).toBe(202);
    const binary = await svc.inject({ method: 'POST', url: '/logs/upload', payload: line(4), headers: { authorization: '', 'content-type': 'application/octet-stream' } });
    expect(binary.statusCode).toBe(202);
  });
});

describe('AUTH_DISABLED with HOST=0.0.0.0 (PGlite)', () => {
  it('accepts any Host, and says loudly at start that auth is off on every interface', async () => {
    const logs: string[] = [];
    const logStream = { write: (text: string) => logs.push(text) } as unknown as NodeJS.WritableStream;
    const svc = await startTestService('pglite', { AUTH_DISABLED: 'true', HOST: '0.0.0.0' }, { logStream });
    try {
      expect(logs.join('')).toMatch(/HOST=0\.0\.0\.0: authentication is OFF ON ALL NETWORK INTERFACES/);
      expect((await svc.inject({ method: 'GET', url: '/logs', headers: { authorization: '', host: 'logs.lan:8000' } })).statusCode).toBe(200);
    } finally {
      await svc.close();
    }
  });
});

describe('with auth on (PGlite)', () => {
  it('changes nothing: a key is needed anyway, so any Host and a text/plain upload are served', async () => {
    const svc = await startTestService('pglite');
    try {
      expect((await svc.inject({ method: 'GET', url: '/logs', headers: { ...ADMIN_HEADERS, host: 'logs.example.com' } })).statusCode).toBe(200);
      expect((await simpleUpload(svc, line(5), ADMIN_HEADERS)).statusCode).toBe(202);
      expect((await simpleUpload(svc, line(6))).statusCode).toBe(401);
    } finally {
      await svc.close();
    }
  });
});

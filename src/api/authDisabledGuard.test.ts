import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installAuthDisabledGuard } from './authDisabledGuard.js';
import { errorHandler } from './errors.js';

let app: FastifyInstance | undefined;
afterEach(async () => app?.close());

async function guarded(host: string): Promise<FastifyInstance> {
  app = Fastify();
  app.setErrorHandler(errorHandler);
  installAuthDisabledGuard(app, { host });
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  app.get('/x', async () => 'ok');
  app.post('/x', async () => 'ok');
  return app;
}

const hostOk = async (a: FastifyInstance, host: string): Promise<boolean> =>
  (await a.inject({ method: 'GET', url: '/x', headers: { host } })).statusCode === 200;

describe('installAuthDisabledGuard', () => {
  it('with a loopback HOST, takes loopback names only (any port), refusing others with 403', async () => {
    const a = await guarded('127.0.0.1');
    for (const host of ['localhost', 'localhost:8000', 'LOCALHOST:8000', '127.0.0.1', '127.0.0.1:8000', '[::1]', '[::1]:8000']) {
      expect(await hostOk(a, host), host).toBe(true);
    }
    for (const host of ['evil.example', 'evil.example:8000', 'localhost.evil.example', '127.0.0.1.nip.io', '10.0.0.5:8000', '[::2]:8000', 'localhost:80:80']) {
      expect(await hostOk(a, host), host).toBe(false);
    }
    const refused = await a.inject({ method: 'GET', url: '/x', headers: { host: 'evil.example' } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'host_not_allowed', detail: expect.stringMatching(/DNS rebinding/) as unknown });
  });

  it('with a specific non-loopback HOST, takes that address too; with 0.0.0.0 or :: any Host', async () => {
    const lan = await guarded('192.0.2.10');
    expect(await hostOk(lan, '192.0.2.10:8000')).toBe(true);
    expect(await hostOk(lan, 'localhost:8000')).toBe(true);
    expect(await hostOk(lan, 'evil.example')).toBe(false);
    await lan.close();
    const v6 = await guarded('2001:db8::10');
    expect(await hostOk(v6, '[2001:db8::10]:8000')).toBe(true);
    expect(await hostOk(v6, 'evil.example')).toBe(false);
    await v6.close();
    for (const any of ['0.0.0.0', '::']) {
      const a = await guarded(any);
      expect(await hostOk(a, 'evil.example'), any).toBe(true);
      await a.close();
    }
  });

  it('takes a POST only when it is not a CORS-simple request: a non-safelisted content type, or X-Requested-By', async () => {
    const a = await guarded('127.0.0.1');
    const post = (headers: Record<string, string>) => a.inject({ method: 'POST', url: '/x', payload: '"a line"', headers: { host: 'localhost', ...headers } });
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'TEXT/PLAIN', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await post({ 'content-type': type });
      expect(res.statusCode, type).toBe(403);
      expect(res.json<{ code: string; detail: string }>(), type).toMatchObject({ code: 'simple_request_refused', detail: expect.stringMatching(/X-Requested-By/) as unknown });
      expect((await post({ 'content-type': type, 'x-requested-by': 'curl' })).statusCode, type).toBe(200);
    }
    expect((await a.inject({ method: 'POST', url: '/x', headers: { host: 'localhost' } })).statusCode).toBe(403); // no body, no type
    for (const type of ['application/octet-stream', 'application/gzip', 'application/json']) expect((await post({ 'content-type': type })).statusCode, type).toBe(200);
  });
});

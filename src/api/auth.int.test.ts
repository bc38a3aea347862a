import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { TEST_ADMIN_KEY } from '../../test/helpers/env.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import type { Scope } from '../domain/scopes.js';

type Access = Scope | 'public';

/**
 * Who may call what, written from the specification (issue 5), not read from the code: every
 * operation in the OpenAPI document must appear here, so a route added without an access decision
 * fails this test.
 */
const SPEC: Record<string, Access> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /metrics': 'read',
  'GET /formats': 'ingest',
  'POST /formats/detect': 'ingest',
  'POST /logs/upload': 'ingest',
  'GET /ingest/jobs': 'ingest',
  'GET /ingest/jobs/{id}': 'ingest',
  'GET /ingest/jobs/{id}/rejected': 'ingest',
  'GET /ingest/jobs/{id}/rejected/summary': 'ingest',
  'GET /logs': 'read',
  'GET /logs/tail': 'read',
  'GET /analytics/summary': 'read',
  'GET /analytics/traffic': 'read',
  'GET /analytics/endpoints': 'read',
  'GET /analytics/status-codes': 'read',
  'GET /analytics/clients': 'read',
  'GET /analytics/sources': 'read',
  'GET /analytics/extent': 'read',
  'GET /analytics/route-rules': 'read',
  'POST /analytics/route-rules': 'admin',
  'DELETE /analytics/route-rules/{id}': 'admin',
  'GET /alerts/history': 'read',
  'GET /alerts/history/{id}/deliveries': 'read',
  'GET /alerts/active': 'read',
  'GET /alerts/states': 'read',
  'POST /alerts/rules': 'admin',
  'GET /alerts/rules': 'admin',
  'GET /alerts/rules/{id}': 'admin',
  'PUT /alerts/rules/{id}': 'admin',
  'PATCH /alerts/rules/{id}': 'admin',
  'DELETE /alerts/rules/{id}': 'admin',
  'POST /alerts/rules/backtest': 'admin',
  'POST /alerts/rules/{id}/backtest': 'admin',
  'POST /alerts/rules/{id}/test-notification': 'admin',
  'POST /alerts/silences': 'admin',
  'GET /alerts/silences': 'admin',
  'DELETE /alerts/silences/{id}': 'admin',
  'POST /auth/keys': 'admin',
  'GET /auth/keys': 'admin',
  'DELETE /auth/keys/{id}': 'admin',
  'GET /es': 'ingest',
  'GET /es/': 'ingest',
  'POST /es/_bulk': 'ingest',
  'PUT /es/_bulk': 'ingest',
  'POST /es/{index}/_bulk': 'ingest',
  'PUT /es/{index}/_bulk': 'ingest',
  'POST /ingest/stream': 'ingest',
  'POST /loki/api/v1/push': 'ingest',
  'POST /v1/logs': 'ingest',
  'GET /sources': 'read',
  'GET /sources/{source}/format': 'read',
  'PUT /sources/{source}/format': 'admin',
  'DELETE /sources/{source}/format': 'admin',
};

/** Elasticsearch's and Loki's APIs answer their errors in their own shapes (JSON, plain text), which their clients read. */
const inElasticsearchShape = (path: string): boolean => path.startsWith('/es');
const inLokiShape = (path: string): boolean => path.startsWith('/loki/');
/** OTLP answers a google.rpc.Status in the request's encoding: JSON for these requests, which have no body. */
const inOtlpShape = (path: string): boolean => path === '/v1/logs';
const errorContentType = (path: string): RegExp => (inElasticsearchShape(path) || inOtlpShape(path) ? /^application\/json/
  : inLokiShape(path) ? /^text\/plain/ : /^application\/problem\+json/);

const SCOPE_KEYS: Scope[] = ['ingest', 'read', 'admin'];
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Operations that answer an allowed request with an endless stream (Server-Sent Events). */
const STREAMING = new Set(['GET /logs/tail']);

/** Path parameters filled with values that exist nowhere (a job id is a UUID, the others numbers). */
function concrete(path: string): string {
  return path.replace('/ingest/jobs/{id}', '/ingest/jobs/00000000-0000-4000-8000-000000000000').replaceAll('{id}', '987654');
}

describeBackends('authentication and scopes on %s', (kind) => {
  let svc: TestService;
  const keys = {} as Record<Scope, string>;
  let operations: string[] = [];

  beforeAll(async () => {
    // The walk below fails authentication some 160 times from one address on purpose; the limit on
    // failures (AUTH_FAILURES_PER_MINUTE) has tests of its own (authFailures.int.test.ts).
    svc = await startTestService(kind, { AUTH_FAILURES_PER_MINUTE: '0' });
    for (const scope of SCOPE_KEYS) {
      const res = await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: `${scope} key`, scopes: [scope] } });
      expect(res.statusCode).toBe(201);
      keys[scope] = res.json<{ key: string }>().key;
    }
    const doc = (await svc.inject({ method: 'GET', url: '/docs/json', headers: { authorization: '' } })).json<{ paths: Record<string, Record<string, unknown>> }>();
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      METHODS.filter((m) => m in ops).map((m) => `${m.toUpperCase()} ${path}`));
  });
  afterAll(async () => svc?.close());

  it('has an access decision in the specification for every operation in the OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(30);
    expect(operations.filter((op) => !(op in SPEC))).toEqual([]);
    expect(Object.keys(SPEC).filter((op) => !operations.includes(op))).toEqual([]);
  });

  it('answers every route 401 without a key or with a wrong one, 403 with a key lacking the scope, and serves the right scope', async () => {
    const seen: string[] = [];
    for (const op of operations) {
      const [method, path] = op.split(' ') as [string, string];
      const url = concrete(path);
      const access = SPEC[op]!;
      const call = (headers: Record<string, string>) => svc.inject({ method: method as 'GET', url, headers: { authorization: '', ...headers } });

      const anonymous = [await call({}), await call({ authorization: 'Bearer li_not_a_real_key_00000000000000000000000000000000' }),
        await call({ 'x-api-key': 'wrong' }), await call({ authorization: 'Basic YWRtaW46YWRtaW4=' })];
      for (const res of anonymous) {
        if (access === 'public') {
          expect(res.statusCode, op).toBe(200);
          continue;
        }
        expect(res.statusCode, op).toBe(401);
        expect(res.headers['content-type'], op).toMatch(errorContentType(path));
        if (inElasticsearchShape(path)) expect(res.json(), op).toMatchObject({ status: 401, error: { type: 'security_exception' } });
        if (inLokiShape(path)) expect(res.body, op).toMatch(/^a valid API key is required/);
        if (inOtlpShape(path)) expect(res.json(), op).toMatchObject({ code: 16 }); // UNAUTHENTICATED
        expect(res.headers['www-authenticate'], op).toMatch(/^Bearer/);
        // The same answer whatever was wrong: nothing that tells a guesser how close they came.
        expect(res.body).toBe(anonymous[0]!.body);
      }
      for (const scope of SCOPE_KEYS) {
        if (STREAMING.has(op) && (access === scope || scope === 'admin')) {
          // The stream never ends by itself: take its status and headers and let it go (closing the server ends it).
          for (const headers of [{ authorization: `Bearer ${keys[scope]}` }, { 'x-api-key': keys[scope] }]) {
            const res = await svc.inject({ method: method as 'GET', url, headers, payloadAsStream: true });
            expect(res.statusCode, `${op} with ${scope}`).toBe(200);
            expect(res.headers['content-type'], `${op} with ${scope}`).toMatch(/^text\/event-stream/);
            res.stream().destroy();
          }
          continue;
        }
        const viaBearer = await call({ authorization: `Bearer ${keys[scope]}` });
        const viaHeader = await svc.inject({ method: method as 'GET', url, headers: { 'x-api-key': keys[scope] } });
        for (const res of [viaBearer, viaHeader]) {
          const allowed = access === 'public' || access === scope || scope === 'admin';
          if (!allowed) {
            expect(res.statusCode, `${op} with ${scope}`).toBe(403);
            expect(res.headers['content-type']).toMatch(errorContentType(path));
          } else {
            expect([401, 403], `${op} with ${scope}: ${res.body.slice(0, 200)}`).not.toContain(res.statusCode);
            expect(res.statusCode, `${op} with ${scope}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
            // Routes that need no body or existing id answer 2xx outright.
            if (method === 'GET' && !path.includes('{')) expect(res.statusCode, `${op} with ${scope}`).toBe(200);
          }
        }
      }
      seen.push(op);
    }
    expect(seen).toHaveLength(operations.length);
  }, 120_000);

  it('keeps the docs and the dashboard shell public', async () => {
    for (const url of ['/', '/docs/', '/docs/json']) {
      const res = await svc.inject({ method: 'GET', url, headers: { authorization: '' } });
      expect(res.statusCode, url).toBeLessThan(400);
    }
  });

  it('creates a key shown once, lists it by prefix with its last use, and revokes it at once', async () => {
    const created = await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: 'ci uploader', scopes: ['ingest', 'ingest'] } });
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    const body = created.json<{ id: number; key: string; prefix: string; scopes: string[]; last_used_at: string | null }>();
    expect(body.key).toMatch(/^li_[A-Za-z0-9_-]{43}$/); // 256 random bits
    expect(body.key.startsWith(body.prefix)).toBe(true);
    expect(body).toMatchObject({ scopes: ['ingest'], last_used_at: null });

    expect((await svc.inject({ method: 'GET', url: '/ingest/jobs', headers: { authorization: `Bearer ${body.key}` } })).statusCode).toBe(200);
    const list = await svc.inject({ method: 'GET', url: '/auth/keys' });
    expect(list.body).not.toContain(body.key);
    expect(list.body).not.toMatch(/hash/);
    const listed = list.json<{ items: { id: number; prefix: string; name: string; last_used_at: string | null }[] }>().items.find((k) => k.id === body.id);
    expect(listed).toMatchObject({ name: 'ci uploader', prefix: body.prefix });
    expect(listed!.last_used_at).not.toBeNull();

    expect((await svc.inject({ method: 'DELETE', url: `/auth/keys/${body.id}` })).statusCode).toBe(204);
    expect((await svc.inject({ method: 'GET', url: '/ingest/jobs', headers: { authorization: `Bearer ${body.key}` } })).statusCode).toBe(401);
    expect((await svc.inject({ method: 'DELETE', url: `/auth/keys/${body.id}` })).statusCode).toBe(404);
    const gone = (await svc.inject({ method: 'GET', url: '/auth/keys' })).json<{ items: { id: number }[] }>().items;
    expect(gone.map((k) => k.id)).not.toContain(body.id);
  });

  it('refuses bad key requests with the field named, and never revokes the last admin key', async () => {
    const bad = await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: 'x', scopes: ['root'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ invalid_params: { name: string }[] }>().invalid_params[0]!.name).toMatch(/^scopes/);
    expect((await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: 'x', scopes: [] } })).statusCode).toBe(400);

    // Revoke the extra admin key made above, then the bootstrap key is the last one and stays.
    const items = (await svc.inject({ method: 'GET', url: '/auth/keys' })).json<{ items: { id: number; name: string; scopes: string[] }[] }>().items;
    const extra = items.find((k) => k.name === 'admin key')!;
    expect((await svc.inject({ method: 'DELETE', url: `/auth/keys/${extra.id}` })).statusCode).toBe(204);
    const bootstrap = items.find((k) => k.name === 'ADMIN_API_KEY')!;
    const last = await svc.inject({ method: 'DELETE', url: `/auth/keys/${bootstrap.id}` });
    expect(last.statusCode).toBe(409);
    expect(last.json<{ code: string }>().code).toBe('last_admin_key');
  });

  it('sends a strict CSP, exactly these directives, with the dashboard, Swagger UI and every API answer', async () => {
    const expected = {
      'default-src': "'self'", 'script-src': "'self'", 'style-src': "'self'", 'font-src': "'self'", 'img-src': "'self' data:",
      'connect-src': "'self'", 'frame-ancestors': "'none'", 'object-src': "'none'", 'base-uri': "'self'", 'form-action': "'self'",
    };
    for (const url of ['/', '/ui/logs', '/docs/', '/docs/json', '/logs', '/healthz', '/nope']) {
      const res = await svc.inject({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      const directives = Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d): [string, string] => {
        const [name = '', ...sources] = d.split(/\s+/);
        return [name, sources.join(' ')];
      }));
      expect(directives, url).toEqual(expected);
    }
  });

  it('sends security headers on every response, refusals (401, 403) included, and keeps CORS closed', async () => {
    const asIs = {};
    const noKey = { authorization: '' };
    const wrongScope = { authorization: `Bearer ${keys.read}` };
    for (const [url, headers, status] of [['/healthz', asIs, 200], ['/logs', asIs, 200], ['/nope', asIs, 404], ['/logs', noKey, 401], ['/auth/keys', wrongScope, 403]] as const) {
      const res = await svc.inject({ method: 'GET', url, headers: { origin: 'https://evil.example', ...headers } });
      const label = `${url} ${status}`;
      expect(res.statusCode, label).toBe(status);
      expect(res.headers['x-content-type-options'], label).toBe('nosniff');
      expect(res.headers['content-security-policy'], label).toMatch(/default-src 'self'/);
      expect(res.headers['strict-transport-security'], label).toBeDefined();
      expect(res.headers['x-frame-options'], label).toBe('DENY');
      expect(res.headers['access-control-allow-origin'], label).toBeUndefined();
    }
    const preflight = await svc.inject({ method: 'OPTIONS', url: '/logs', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('authentication settings (PGlite)', () => {
  it('opens CORS to the origins CORS_ORIGINS names, and no others', async () => {
    const svc = await startTestService('pglite', { CORS_ORIGINS: 'https://logs.example.com, http://localhost:5173' });
    try {
      const ok = await svc.inject({ method: 'GET', url: '/logs', headers: { origin: 'https://logs.example.com' } });
      expect(ok.headers['access-control-allow-origin']).toBe('https://logs.example.com');
      const preflight = await svc.inject({
        method: 'OPTIONS', url: '/logs',
        headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      const other = await svc.inject({ method: 'GET', url: '/logs', headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await svc.close();
    }
  });

  it('limits requests per key with 429 and Retry-After, counting each key apart and never health checks', async () => {
    const svc = await startTestService('pglite', { RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const other = (await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: 'other', scopes: ['read'] } })).json<{ key: string }>().key;
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) statuses.push((await svc.inject({ method: 'GET', url: '/logs' })).statusCode);
      expect(statuses).toEqual([200, 200]); // the key creation above was the admin key's first request
      const limited = await svc.inject({ method: 'GET', url: '/logs' });
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(limited.headers['x-frame-options']).toBe('DENY');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.json<{ code: string; detail: string }>()).toMatchObject({ code: 'rate_limited', detail: expect.stringMatching(/RATE_LIMIT_PER_MINUTE/) as unknown });
      expect((await svc.inject({ method: 'GET', url: '/logs', headers: { authorization: `Bearer ${other}` } })).statusCode).toBe(200);
      for (let i = 0; i < 10; i++) expect((await svc.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await svc.close();
    }
  });

  it('creates an admin key on first start, prints it once, stores only its hash, and honours AUTH_DISABLED', async () => {
    const printed: string[] = [];
    const logs: string[] = [];
    const logStream = { write: (line: string) => logs.push(line) } as unknown as NodeJS.WritableStream;
    const svc = await startTestService('pglite', { ADMIN_API_KEY: '' }, { announce: (t) => printed.push(t), logStream });
    try {
      expect(printed).toHaveLength(1);
      const key = /\b(li_[A-Za-z0-9_-]{43})\b/.exec(printed[0]!)?.[1];
      expect(key).toBeDefined();
      const res = await svc.inject({ method: 'GET', url: '/auth/keys', headers: { authorization: `Bearer ${key}` } });
      expect(res.json<{ items: { name: string; scopes: string[] }[] }>().items).toEqual([expect.objectContaining({ name: 'bootstrap admin', scopes: ['admin'] })]);
      expect((await svc.inject({ method: 'GET', url: '/logs', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } })).statusCode).toBe(401);
      const stored = await svc.db.query<{ row: string }>('SELECT row_to_json(k)::text AS row FROM api_keys k');
      expect(stored.rows.map((r) => r.row).join('\n')).not.toContain(key!.slice(12));
      // The key went to the console once, never into the structured log.
      expect(logs.join('')).not.toContain(key!);
    } finally {
      await svc.close();
    }

    const open = await startTestService('pglite', { AUTH_DISABLED: 'true' }, { logStream });
    try {
      expect((await open.inject({ method: 'GET', url: '/logs', headers: { authorization: '' } })).statusCode).toBe(200);
      expect(logs.join('')).toMatch(/AUTH_DISABLED=true/);
    } finally {
      await open.close();
    }
  }, 180_000); // two cold PGlite starts: slow on a busy 2-core machine
});

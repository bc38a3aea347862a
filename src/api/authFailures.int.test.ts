import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { countQueries } from '../../test/helpers/queryCount.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';

/** A key of the right shape that exists nowhere: a new prefix each time, so no cache can answer it. */
const randomKey = (): string => `li_${crypto.randomBytes(32).toString('base64url')}`;

/** The SQL of an API key lookup by prefix (src/auth/apiKeys.ts keysWithPrefix). */
const KEY_LOOKUP = /FROM api_keys WHERE prefix =/;

describeBackends('failed authentication is limited per client address on %s', (kind) => {
  let svc: TestService;
  let readKey: string;
  const GUESSER = '203.0.113.7';

  const get = (url: string, key: string | undefined, remoteAddress: string, headers: Record<string, string> = {}) =>
    svc.inject({ method: 'GET', url, remoteAddress, headers: { authorization: key === undefined ? '' : `Bearer ${key}`, ...headers } });

  beforeAll(async () => {
    svc = await startTestService(kind, { AUTH_FAILURES_PER_MINUTE: '30' });
    const res = await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: 'reader', scopes: ['read'] } });
    readKey = res.json<{ key: string }>().key;
  });
  afterAll(async () => svc?.close());

  it('answers 429 with Retry-After past the limit, with no database lookup; a key verified before still works from there', async () => {
    // The reader uses its key from the guesser's address (the same NAT, say) before the guessing starts.
    expect((await get('/analytics/sources', readKey, GUESSER)).statusCode).toBe(200);

    const lookups = countQueries(svc.db, KEY_LOOKUP);
    try {
      const answers = [];
      for (let i = 0; i < 40; i++) answers.push(await get('/logs', randomKey(), GUESSER));
      expect(answers.map((r) => r.statusCode)).toEqual([...new Array<number>(30).fill(401), ...new Array<number>(10).fill(429)]);
      // One lookup per guess under the limit, none past it.
      expect(lookups.count).toBe(30);

      const limited = answers[39]!;
      expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
      // Refused before any route runs, it still carries the headers every answer carries.
      expect(limited.headers['x-content-type-options']).toBe('nosniff');
      expect(limited.headers['x-frame-options']).toBe('DENY');
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(limited.json<{ code: string; detail: string }>()).toMatchObject({ code: 'auth_rate_limited', detail: expect.stringMatching(/AUTH_FAILURES_PER_MINUTE/) as unknown });
      // No key, a malformed one, the admin key's neighbour: all wait, without a lookup.
      expect((await get('/logs', undefined, GUESSER)).statusCode).toBe(429);
      expect((await svc.inject({ method: 'GET', url: '/logs', remoteAddress: GUESSER, headers: { 'x-api-key': 'x'.repeat(600) } })).statusCode).toBe(429);
      expect(lookups.count).toBe(30);

      // The key the cache verified before passes without the database, even from the limited address.
      expect((await get('/analytics/sources', readKey, GUESSER)).statusCode).toBe(200);
      expect(lookups.count).toBe(30);
    } finally {
      lookups.stop();
    }

    // A good key the cache has not seen waits out the limit like any other from that address.
    const fresh = (await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: 'fresh', scopes: ['read'] } })).json<{ key: string }>().key;
    expect((await get('/logs', fresh, GUESSER)).statusCode).toBe(429);
    // Another address is not affected: its wrong key gets a 401, its good key a 200.
    expect((await get('/logs', randomKey(), '198.51.100.9')).statusCode).toBe(401);
    expect((await get('/logs', fresh, '198.51.100.9')).statusCode).toBe(200);
    // Public routes never ask for a key.
    expect((await get('/healthz', undefined, GUESSER)).statusCode).toBe(200);

    const metrics = (await svc.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^loginsights_auth_failures_total\{outcome="unknown"\} 31$/m);
    expect(metrics).toMatch(/^loginsights_auth_failures_total\{outcome="limited"\} 13$/m);
  });

  it('counts an IPv6 client per /64, so a host cannot rotate through its own addresses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await get('/logs', randomKey(), `2001:db8:1:2::${(i + 1).toString(16)}`)).statusCode);
    expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect((await get('/logs', randomKey(), '2001:db8:1:3::1')).statusCode).toBe(401); // the next /64
  });
});

describe('behind a reverse proxy (TRUST_PROXY, PGlite)', () => {
  it('counts each client by X-Forwarded-For from the trusted proxy, and a direct client by its own address whatever it forwards', async () => {
    const svc = await startTestService('pglite', { AUTH_FAILURES_PER_MINUTE: '2', TRUST_PROXY: '127.0.0.1' });
    try {
      const guess = (remoteAddress: string, forwardedFor: string) => svc.inject({
        method: 'GET', url: '/logs', remoteAddress, headers: { authorization: `Bearer ${randomKey()}`, 'x-forwarded-for': forwardedFor },
      });
      for (let i = 0; i < 2; i++) expect((await guess('127.0.0.1', '198.51.100.1')).statusCode).toBe(401);
      expect((await guess('127.0.0.1', '198.51.100.1')).statusCode).toBe(429);
      expect((await guess('127.0.0.1', '198.51.100.2')).statusCode).toBe(401); // another client behind the proxy
      // Not the proxy: its X-Forwarded-For is not believed, so a new value each time buys no fresh start.
      for (let i = 0; i < 2; i++) expect((await guess('192.0.2.50', `10.0.0.${i}`)).statusCode).toBe(401);
      expect((await guess('192.0.2.50', '10.0.0.99')).statusCode).toBe(429);
    } finally {
      await svc.close();
    }
  });
});

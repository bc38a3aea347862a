import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeBackends, createPostgresDatabase, openTestDb } from '../../test/helpers/db.js';
import { ADMIN_HEADERS, TEST_ADMIN_KEY, TEST_SECRET_KEY } from '../../test/helpers/env.js';
import { startTestService } from '../../test/helpers/service.js';
import { createLogger } from '../cli/logger.js';
import { startService, type Service } from '../cli/serve.js';
import { loadConfig } from '../config/config.js';
import type { Db } from '../db/db.js';
import { createKey, revokeKey } from './apiKeys.js';

const bearer = (key: string): { authorization: string } => ({ authorization: `Bearer ${key}` });

async function activeAdminKeys(db: Db): Promise<number> {
  const res = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL AND 'admin' = ANY(scopes)");
  return res.rows[0]!.n;
}

describeBackends('API key revocation on %s', (kind) => {
  it('keeps a revoked ADMIN_API_KEY revoked when the service starts again, and warns without the key', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-keys-'));
    const config = loadConfig({
      DATA_DIR: dataDir, DATABASE_URL: kind === 'postgres' ? await createPostgresDatabase() : undefined,
      HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ADMIN_API_KEY: TEST_ADMIN_KEY, SECRET_KEY: TEST_SECRET_KEY,
    });
    const logs: string[] = [];
    const start = (): Promise<Service> => startService(config, createLogger(config, { write: (l: string) => logs.push(l) } as unknown as NodeJS.WritableStream));
    let svc = await start();
    try {
      const other = await svc.app.inject({ method: 'POST', url: '/auth/keys', headers: ADMIN_HEADERS, payload: { name: 'second admin', scopes: ['admin'] } });
      const otherKey = other.json<{ key: string }>().key;
      const items = (await svc.app.inject({ method: 'GET', url: '/auth/keys', headers: ADMIN_HEADERS })).json<{ items: { id: number; name: string }[] }>().items;
      const configured = items.find((k) => k.name === 'ADMIN_API_KEY')!;
      expect((await svc.app.inject({ method: 'DELETE', url: `/auth/keys/${configured.id}`, headers: bearer(otherKey) })).statusCode).toBe(204);
      expect((await svc.app.inject({ method: 'GET', url: '/logs', headers: ADMIN_HEADERS })).statusCode).toBe(401);
      await svc.close();

      logs.length = 0;
      svc = await start(); // ADMIN_API_KEY is still configured
      expect((await svc.app.inject({ method: 'GET', url: '/logs', headers: ADMIN_HEADERS })).statusCode).toBe(401);
      expect((await svc.app.inject({ method: 'GET', url: '/logs', headers: bearer(otherKey) })).statusCode).toBe(200);
      const warning = logs.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => /ADMIN_API_KEY/.test(l.msg));
      expect(warning?.level).toBe(40);
      expect(warning?.msg).toMatch(new RegExp(
        `^ADMIN_API_KEY was revoked on \\d{4}-\\d\\d-\\d\\d \\(key id ${configured.id}\\): it stays revoked; remove it from the configuration or create another admin key$`,
      ));
      expect(logs.join('')).not.toContain(TEST_ADMIN_KEY);
    } finally {
      await svc.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000); // two cold starts of the embedded database

  it('lets exactly one of two concurrent revocations of the last two admin keys through the API succeed', async () => {
    const svc = await startTestService(kind);
    try {
      const created = await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: 'second admin', scopes: ['admin'] } });
      const { id: secondId, key: secondKey } = created.json<{ id: number; key: string }>();
      // Both keys used just before, so that neither request spends longer than the other authenticating
      // (the key cache): their check-then-revoke steps interleave, on PGlite's one backend too.
      expect((await svc.inject({ method: 'GET', url: '/logs', headers: bearer(secondKey) })).statusCode).toBe(200);
      const items = (await svc.inject({ method: 'GET', url: '/auth/keys' })).json<{ items: { id: number; name: string }[] }>().items;
      const firstId = items.find((k) => k.name === 'ADMIN_API_KEY')!.id;
      // Each with the other key: both requests are authorised, and each would leave one admin key if it were alone.
      const [a, b] = await Promise.all([
        svc.inject({ method: 'DELETE', url: `/auth/keys/${firstId}`, headers: bearer(secondKey) }),
        svc.inject({ method: 'DELETE', url: `/auth/keys/${secondId}`, headers: ADMIN_HEADERS }),
      ]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([204, 409]);
      expect([a, b].find((r) => r.statusCode === 409)!.json<{ code: string }>().code).toBe('last_admin_key');
      expect(await activeAdminKeys(svc.db)).toBe(1);
    } finally {
      await svc.close();
    }
  }, 120_000);

  it('revokeKey refuses the last active admin key however revocations interleave', async () => {
    const db = await openTestDb(kind);
    try {
      const readOnly = await createKey(db, 'reader', ['read']);
      for (let round = 0; round < 5; round++) {
        await db.query("UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL AND 'admin' = ANY(scopes)");
        const [x, y] = [await createKey(db, `x${round}`, ['admin']), await createKey(db, `y${round}`, ['read', 'admin'])];
        const results = await Promise.all([revokeKey(db, x.apiKey.id), revokeKey(db, y.apiKey.id)]);
        expect(results.sort(), `round ${round}`).toEqual(['last_admin_key', 'revoked']);
        expect(await activeAdminKeys(db)).toBe(1);
      }
      expect(await revokeKey(db, readOnly.apiKey.id)).toBe('revoked'); // not an admin key: no rule
      expect(await revokeKey(db, readOnly.apiKey.id)).toBe('not_found');
    } finally {
      await db.close();
    }
  }, 120_000);
});

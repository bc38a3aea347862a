import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS, createPostgresDatabase } from '../../test/helpers/db.js';
import { ADMIN_HEADERS, TEST_ADMIN_KEY, TEST_SECRET_KEY } from '../../test/helpers/env.js';
import { createLogger } from '../cli/logger.js';
import { startService, type Service } from '../cli/serve.js';
import { loadConfig } from '../config/config.js';

const bearer = (key: string): { authorization: string } => ({ authorization: `Bearer ${key}` });

describe.each(BACKENDS)('API key revocation on %s', (kind) => {
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
  });
});

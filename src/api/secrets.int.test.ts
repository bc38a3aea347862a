import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { TEST_ADMIN_KEY, TEST_SECRET_KEY } from '../../test/helpers/env.js';
import { startTestService } from '../../test/helpers/service.js';
import { startService } from '../cli/serve.js';
import { loadConfig } from '../config/config.js';

describe('SECRET_KEY of the embedded default', () => {
  it('is generated once into DATA_DIR with mode 0600 and kept across restarts', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-secret-'));
    const config = loadConfig({ DATA_DIR: dataDir, ADMIN_API_KEY: TEST_ADMIN_KEY, PORT: '0' });
    const logger = pino({ level: 'silent' });
    try {
      const first = await startService(config, logger, { listen: false });
      await first.close();
      const file = path.join(dataDir, 'secret_key');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const secret = fs.readFileSync(file, 'utf8').trim();
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      const second = await startService(config, logger, { listen: false });
      await second.close();
      expect(fs.readFileSync(file, 'utf8').trim()).toBe(secret);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000); // two cold PGlite starts (migrations included) on a busy machine
});

describeBackends('secrets stay out of logs and answers on %s', (kind) => {
  it('logs no API key or SECRET_KEY, even at trace level, and answers never contain them', async () => {
    const lines: string[] = [];
    const logStream = { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream;
    const svc = await startTestService(kind, { LOG_LEVEL: 'trace' }, { logStream });
    const bodies: string[] = [];
    try {
      const created = await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: 'reader', scopes: ['read'] } });
      const readKey = created.json<{ key: string }>().key;
      const requests = [
        { method: 'GET', url: '/logs?q=x', headers: { 'x-api-key': readKey } },
        { method: 'GET', url: '/auth/keys', headers: { authorization: `Bearer ${readKey}` } },
        { method: 'GET', url: '/logs', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}x` } },
        { method: 'GET', url: '/logs?status_code=nope' },
        { method: 'GET', url: '/auth/keys' },
        { method: 'GET', url: '/alerts/rules' },
        { method: 'GET', url: '/metrics' },
        { method: 'GET', url: '/docs/json' },
        { method: 'POST', url: '/alerts/rules', payload: { name: 'hook', kind: 'count', operator: '>', threshold: 1, channels: [{ type: 'webhook', url: 'http://127.0.0.1:9/hook' }] } },
        { method: 'POST', url: '/logs/upload', payload: 'not a log line\n', headers: { 'content-type': 'text/plain' } },
      ] as const;
      for (const r of requests) bodies.push((await svc.inject(r)).body);
      expect(lines.join('')).toMatch(/"url":"\/logs\?q=x"/); // the requests were logged…
      for (const secret of [TEST_ADMIN_KEY, readKey, TEST_SECRET_KEY]) {
        expect(lines.join(''), 'log').not.toContain(secret); // …without the keys
        expect(bodies.join('\n'), 'answers').not.toContain(secret);
      }
    } finally {
      await svc.close();
    }
  });
});

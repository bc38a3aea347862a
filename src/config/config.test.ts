import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBeUndefined();
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8000);
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.spoolDir).toBe(path.resolve('./data/spool'));
    expect(c.maxUploadBytes).toBe(2 * 1024 ** 3);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads values and treats empty strings as unset', () => {
    const c = loadConfig({
      PORT: '9001', DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/logs', SECRET_KEY: 'k'.repeat(32), HOST: '', RETENTION_DAYS: '30',
    });
    expect(c.port).toBe(9001);
    expect(c.host).toBe('127.0.0.1');
    expect(c.databaseUrl).toBe('postgresql://postgres@127.0.0.1:5432/logs');
    expect(c.retentionDays).toBe(30);
  });

  it.each([
    [{ PORT: 'eighty' }, /^PORT: /],
    [{ PORT: '70000' }, /^PORT: /],
    [{ MAX_UPLOAD_BYTES: '-1' }, /^MAX_UPLOAD_BYTES: /],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: must be a postgresql:\/\/ URL/],
    [{ SECRET_KEY: 'short' }, /^SECRET_KEY: /],
    [{ ADMIN_API_KEY: 'too-short-to-be-a-key' }, /^ADMIN_API_KEY: must be at least 32 characters/],
    [{ CORS_ORIGINS: 'https://ok.example, *' }, /^CORS_ORIGINS: /],
    [{ RATE_LIMIT_PER_MINUTE: '-5' }, /^RATE_LIMIT_PER_MINUTE: /],
    [{ DATABASE_URL: 'postgresql://db/logs' }, /^SECRET_KEY: required with DATABASE_URL when auth is on/],
    [{ AUTH_FAILURES_PER_MINUTE: '-1' }, /^AUTH_FAILURES_PER_MINUTE: /],
    [{ TRUST_PROXY: '2' }, /^TRUST_PROXY: .*'2' is none/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /^TRUST_PROXY: /],
    [{ TRUST_PROXY: 'proxy.example' }, /^TRUST_PROXY: /],
    [{ RAW_QUERIES_PER_KEY: 'two' }, /^RAW_QUERIES_PER_KEY: /],
    [{ EMBEDDED_SCAN_MAX_DAYS: '-7' }, /^EMBEDDED_SCAN_MAX_DAYS: /],
  ])('names the variable of a bad value: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('has auth on by default, and needs no SECRET_KEY with PostgreSQL when auth is off', () => {
    expect(loadConfig({})).toMatchObject({ authDisabled: false, rateLimitPerMinute: 1200, corsOrigins: [] });
    expect(loadConfig({ DATABASE_URL: 'postgresql://db/logs', AUTH_DISABLED: 'true' }).secretKey).toBeUndefined();
  });

  it('limits failed authentications, trusts no proxy, and bounds raw-row searches by default', () => {
    expect(loadConfig({})).toMatchObject({ authFailuresPerMinute: 30, trustProxy: false, rawQueriesPerKey: 2, embeddedScanMaxDays: 7 });
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,::1, fd00::/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', '::1', 'fd00::/8']);
  });

  it('never echoes a secret in its error', () => {
    for (const [name, value] of [['SECRET_KEY', 'tiny-secret'], ['ADMIN_API_KEY', 'tiny-admin-key'], ['DATABASE_URL', 'mysql://u:hunter2@db/x']]) {
      let message = '';
      try {
        loadConfig({ [name!]: value });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(new RegExp(`^${name}: .*\\(value hidden\\)$`));
      expect(message).not.toContain(value);
    }
  });
});

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
    expect(c.alertSpanMaxMs).toBe(7 * 86_400_000);
    expect(loadConfig({ ALERT_SPAN_MAX: '12h' }).alertSpanMaxMs).toBe(12 * 3_600_000);
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
    [{ ALERT_SPAN_MAX: '30s' }, /^ALERT_SPAN_MAX: expected a duration of at least 1m/],
    [{ ALERT_SPAN_MAX: 'a week' }, /^ALERT_SPAN_MAX: /],
    [{ DATABASE_URL: 'postgresql://db/logs' }, /^SECRET_KEY: required with DATABASE_URL when auth is on/],
    [{ NOTIFY_ALLOWED_HOSTS: 'alertmanager.internal, 10.0.0.0/33' }, /^NOTIFY_ALLOWED_HOSTS: "10\.0\.0\.0\/33" is not a CIDR/],
    [{ NOTIFY_ALLOWED_HOSTS: 'http://hooks.example' }, /^NOTIFY_ALLOWED_HOSTS: /],
    [{ NOTIFY_DENY_PRIVATE: 'sometimes' }, /^NOTIFY_DENY_PRIVATE: /],
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

  it('lets notifications go to loopback and private receivers by default; NOTIFY_* tighten and loosen that', () => {
    expect(loadConfig({})).toMatchObject({ notifyDenyPrivate: false, notifyAllowedHosts: { hosts: [], cidrs: [] } });
    expect(loadConfig({ NOTIFY_DENY_PRIVATE: 'true', NOTIFY_ALLOWED_HOSTS: 'Alertmanager.internal, 10.1.0.0/16' })).toMatchObject({
      notifyDenyPrivate: true, notifyAllowedHosts: { hosts: ['alertmanager.internal'], cidrs: ['10.1.0.0/16'] },
    });
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

  it('bounds the spool and uploads by default: 10 GiB, 1 GiB kept free, failed files kept 72 h, 60 s idle', () => {
    expect(loadConfig({})).toMatchObject({
      spoolMaxBytes: 10 * 1024 ** 3, spoolMinFreeBytes: 1024 ** 3, failedSpoolKeepHours: 72, uploadIdleTimeoutMs: 60_000,
    });
    expect(loadConfig({ SPOOL_MAX_BYTES: '0', SPOOL_MIN_FREE_BYTES: '0' })).toMatchObject({ spoolMaxBytes: 0, spoolMinFreeBytes: 0 });
    expect(() => loadConfig({ UPLOAD_IDLE_TIMEOUT_MS: '0' })).toThrow(/^UPLOAD_IDLE_TIMEOUT_MS: /);
  });
});

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
    const c = loadConfig({ PORT: '9001', DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/logs', HOST: '', RETENTION_DAYS: '30' });
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
  ])('names the variable of a bad value: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

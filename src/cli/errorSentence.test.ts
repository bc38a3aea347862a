import { describe, expect, it } from 'vitest';
import { DataDirLockedError } from '../db/dataDirLock.js';
import { errorSentence } from './errorSentence.js';

function nodeError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

const URL_WITH_PASSWORD = 'postgresql://app:s3cret@db.example:6543/logs';

describe('errorSentence', () => {
  it('names a port in use and how to find its holder', () => {
    const err = nodeError('listen EADDRINUSE: address already in use 0.0.0.0:8000', { code: 'EADDRINUSE', syscall: 'listen', address: '0.0.0.0', port: 8000 });
    expect(errorSentence(err, {})).toBe('port 8000 on 0.0.0.0 is in use (another Log Insights? `lsof -i :8000`); set PORT to another port or stop that process');
  });

  it('reads EACCES as a privileged port only when listen() failed (files fail with EACCES too)', () => {
    expect(errorSentence(nodeError('listen EACCES', { code: 'EACCES', syscall: 'listen', address: '127.0.0.1', port: 80 }), {}))
      .toMatch(/^binding port 80 on 127\.0\.0\.1 needs privileges .*set PORT above 1023/);
    expect(errorSentence(nodeError("EACCES: permission denied, open 'x'", { code: 'EACCES', syscall: 'open' }), {})).toBeUndefined();
  });

  it('names the database, the host and the createdb command for SQLSTATE 3D000, never the password', () => {
    const sentence = errorSentence(nodeError('database "logs" does not exist', { code: '3D000' }), { databaseUrl: URL_WITH_PASSWORD });
    expect(sentence).toBe('PostgreSQL at db.example:6543 has no database "logs"; create it (createdb -h db.example -p 6543 -U app logs) or name another in DATABASE_URL');
    expect(errorSentence(nodeError('password authentication failed for user "app"', { code: '28P01' }), { databaseUrl: URL_WITH_PASSWORD }))
      .not.toContain('s3cret');
  });

  it('tells an unknown role (createuser) from a pg_hba.conf refusal, both SQLSTATE 28000', () => {
    const ctx = { databaseUrl: 'postgres://bob@127.0.0.1/postgres' };
    expect(errorSentence(nodeError('role "bob" does not exist', { code: '28000' }), ctx))
      .toBe('PostgreSQL at 127.0.0.1:5432 refused user "bob": role "bob" does not exist; create the role (createuser -h 127.0.0.1 -p 5432 bob) or name another user in DATABASE_URL');
    expect(errorSentence(nodeError('no pg_hba.conf entry for host "10.0.0.5", user "bob", database "postgres", no encryption', { code: '28000' }), ctx))
      .toMatch(/refused user "bob": no pg_hba\.conf entry .*; allow it in pg_hba\.conf or name another user in DATABASE_URL$/);
  });

  it('reads a refused connection as DATABASE_URL\'s only when one is set, and finds it among the causes', () => {
    const refused = nodeError('connect ECONNREFUSED 127.0.0.1:5999', { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 5999 });
    const wrapped = new Error('could not open the database', { cause: refused });
    expect(errorSentence(wrapped, { databaseUrl: 'postgresql://postgres@127.0.0.1:5999/postgres' }))
      .toBe('nothing accepts connections at 127.0.0.1:5999 (DATABASE_URL); start PostgreSQL there, correct the host and port, or unset DATABASE_URL to use the embedded database');
    expect(errorSentence(wrapped, {})).toBeUndefined();
    // ingest against a stopped server, with DATABASE_URL in the environment: not the database's error.
    expect(errorSentence(wrapped, { databaseUrl: 'postgresql://postgres@127.0.0.1/postgres' })).toBeUndefined();
  });

  it('still gives the sentence for a DATABASE_URL that is no WHATWG URL (a socket directory in ?host=)', () => {
    expect(errorSentence(nodeError('database "logs" does not exist', { code: '3D000' }), { databaseUrl: 'postgresql://app@/logs?host=/run/postgresql' }))
      .toBe('PostgreSQL at the DATABASE_URL server has no database "logs"; create it (createdb logs) or name another in DATABASE_URL');
  });

  it('names an unresolvable DATABASE_URL host', () => {
    const err = nodeError('getaddrinfo ENOTFOUND pg.internal', { code: 'ENOTFOUND', hostname: 'pg.internal' });
    expect(errorSentence(err, { databaseUrl: 'postgresql://u@pg.internal/db' }))
      .toBe('the host "pg.internal" in DATABASE_URL is not found; correct it, or unset DATABASE_URL to use the embedded database');
    expect(errorSentence(nodeError('getaddrinfo ENOTFOUND logs.example', { code: 'ENOTFOUND', hostname: 'logs.example' }), { databaseUrl: 'postgresql://u@pg.internal/db' }))
      .toBeUndefined();
  });

  it('passes a held DATA_DIR\'s own sentence through, and leaves unknown errors alone (they keep their stack trace)', () => {
    expect(errorSentence(new DataDirLockedError('DATA_DIR /x is in use by serve (pid 7)', undefined), {})).toBe('DATA_DIR /x is in use by serve (pid 7)');
    expect(errorSentence(new TypeError('cannot read properties of undefined'), { databaseUrl: URL_WITH_PASSWORD })).toBeUndefined();
    expect(errorSentence(nodeError('duplicate key', { code: '23505' }), { databaseUrl: URL_WITH_PASSWORD })).toBeUndefined();
  });
});

describe('errorSentence for a client command (ingest)', () => {
  const server = 'http://127.0.0.1:8000';
  it('a refused connection is the server not running, with how to start it', () => {
    const err = new TypeError('fetch failed', { cause: nodeError('connect ECONNREFUSED 127.0.0.1:8000', { code: 'ECONNREFUSED', address: '127.0.0.1', port: 8000 }) });
    expect(errorSentence(err, { server })).toBe('no Log Insights server at http://127.0.0.1:8000 (connection refused); start it with `npm start` or pass --server');
  });

  it('a directory among the files, and a missing file; neither is read so outside a client command', () => {
    const dir = nodeError("EISDIR: illegal operation on a directory, open 'logs/'", { code: 'EISDIR', path: 'logs/' });
    expect(errorSentence(dir, { server })).toBe('is a directory, not a log file; name the files in it (logs/*.log)');
    expect(errorSentence(nodeError("ENOENT: no such file or directory, stat 'a.log'", { code: 'ENOENT', path: 'a.log' }), { server }))
      .toBe('no such file; check the path');
    expect(errorSentence(dir, {})).toBeUndefined();
  });
});

import pg from 'pg';
import { expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService } from '../../test/helpers/service.js';

describeBackends('query time limit on %s', (kind) => {
  it('answers 504 problem+json when a query runs past QUERY_TIMEOUT_MS, then serves again', async () => {
    const svc = await startTestService(kind, { QUERY_TIMEOUT_MS: '300' });
    try {
      // A stored day, so that the search has a partition to read (with none, it answers without a query).
      const up = await svc.upload('10.0.0.1 - - [05/Oct/2026:12:00:00 +0000] "GET / HTTP/1.1" 500 1 "-" "curl/8"\n', { source: 'timeout' });
      expect((await svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
      expect((await svc.inject({ method: 'GET', url: '/logs' })).statusCode).toBe(200); // the key is cached from here on
      let release: () => Promise<void>;
      if (kind === 'postgres') {
        // Another session holds a lock the search needs: the query waits until statement_timeout cancels it.
        const blocker = new pg.Client({ connectionString: svc.config.databaseUrl });
        await blocker.connect();
        await blocker.query('BEGIN; LOCK TABLE logs IN ACCESS EXCLUSIVE MODE');
        release = async () => {
          await blocker.query('ROLLBACK');
          await blocker.end();
        };
      } else {
        // PGlite's one backend is busy: a queue of statements ahead of the search. (One long statement
        // cannot be interrupted there: it runs in this thread, timers included; see docs/SECURITY.md.)
        const busy = Promise.all(Array.from({ length: 150 }, () => svc.db.query('SELECT count(*) FROM generate_series(1, 100000)')));
        release = async () => {
          await busy;
        };
      }
      const started = Date.now();
      const res = await svc.inject({ method: 'GET', url: '/logs?status_code=5xx' });
      const elapsed = Date.now() - started;
      expect(res.statusCode, res.body).toBe(504);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json<{ code: string }>().code).toBe('query_timeout');
      // An answer, not a hung socket: the limit is 0.3 s (PostgreSQL) or 1.3 s (the PGlite deadline).
      expect(elapsed).toBeLessThan(10_000);
      await release();
      expect((await svc.inject({ method: 'GET', url: '/logs' })).statusCode).toBe(200);
    } finally {
      await svc.close();
    }
  }, 120_000);
});

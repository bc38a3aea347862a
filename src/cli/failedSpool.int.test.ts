import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { wideLog } from '../../test/helpers/wideLog.js';
import type { IngestJob } from '../ingest/jobs.js';
import { createLogger } from './logger.js';
import { startMaintenance } from './maintenance.js';

/** Failed jobs' spool files go FAILED_SPOOL_KEEP_HOURS (default 72) after the failure (issue 13, defect 11). */
describeBackends('failed jobs\' spool files on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind);
  });
  afterAll(async () => svc?.close());

  const spoolPath = async (id: string): Promise<string> =>
    (await svc.db.query<{ spool_path: string }>('SELECT spool_path FROM ingest_jobs WHERE id = $1', [id])).rows[0]!.spool_path;

  it('housekeeping removes the file of a job failed long ago, keeps a recent one\'s; a re-upload still resumes the job', async () => {
    // Jobs that fail for real: the database raises on line 3 (not a row-level error: the job fails).
    await svc.db.exec(`
      CREATE FUNCTION test_refuse_line() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.line_no = 3 THEN RAISE EXCEPTION 'test: line 3 refused'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_refuse_line BEFORE INSERT ON logs FOR EACH ROW EXECUTE FUNCTION test_refuse_line();`);
    const oldFile = wideLog(5);
    const old = await svc.upload(oldFile, { source: 'failed-long-ago' });
    const recent = await svc.upload(wideLog(6), { source: 'failed-just-now' });
    expect((await svc.waitForJob(old.body.job_id)).status).toBe('failed');
    expect((await svc.waitForJob(recent.body.job_id)).status).toBe('failed');
    await svc.db.exec('DROP TRIGGER test_refuse_line ON logs');
    const [oldPath, recentPath] = [await spoolPath(old.body.job_id), await spoolPath(recent.body.job_id)];
    expect(fs.existsSync(oldPath) && fs.existsSync(recentPath)).toBe(true);
    await svc.db.query(`UPDATE ingest_jobs SET finished_at = now() - interval '73 hours' WHERE id = $1`, [old.body.job_id]);

    // A maintenance loop's first tick runs housekeeping.
    const maintenance = startMaintenance(svc.db, svc.config, createLogger(svc.config));
    try {
      await expect.poll(() => fs.existsSync(oldPath), { timeout: 30_000, interval: 250 }).toBe(false);
    } finally {
      await maintenance.stop();
    }
    expect(fs.existsSync(recentPath)).toBe(true);
    const job = (id: string): Promise<IngestJob> => svc.getJson<IngestJob>(`/ingest/jobs/${id}`).then((r) => r.body);
    expect((await job(old.body.job_id)).spool_removed_at).not.toBeNull();
    expect((await job(recent.body.job_id)).spool_removed_at).toBeNull();

    const again = await svc.upload(oldFile, { source: 'failed-long-ago' });
    expect(again.status).toBe(202);
    expect(again.body.job_id).toBe(old.body.job_id);
    expect(await svc.waitForJob(old.body.job_id)).toMatchObject({ status: 'succeeded', lines_ingested: 5, spool_removed_at: null });
    const stored = await svc.db.query<{ n: number }>('SELECT count(DISTINCT line_no)::int AS n FROM logs WHERE job_id = $1', [old.body.job_id]);
    expect(stored.rows[0]!.n).toBe(5);
  });
});

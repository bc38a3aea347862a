import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { wideLog } from '../../test/helpers/wideLog.js';

/** Duplicate detection per (source, content), and a failed job's re-upload resuming it (issue 13, defects 9 and 20). */
describe.each(BACKENDS)('re-uploads on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, { INGEST_BATCH_ROWS: '500' });
  });
  afterAll(async () => svc?.close());

  const storedPerLine = async (source: string): Promise<{ rows: number; lines: number }> => {
    const res = await svc.db.query<{ rows: number; lines: number }>(
      'SELECT count(*)::int AS rows, count(DISTINCT line_no)::int AS lines FROM logs WHERE source = $1',
      [source],
    );
    return res.rows[0]!;
  };

  it('a failed job is resumed by the next upload of its file: the same job goes on, every line is stored once', async () => {
    // The database refuses line 3500 with an error that is not about the row's data (P0001): the job
    // fails after committing its first batches, as a job given up after a crash would.
    await svc.db.exec(`
      CREATE FUNCTION test_refuse_line() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.line_no = 3500 THEN RAISE EXCEPTION 'test: line % refused', NEW.line_no; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_refuse_line BEFORE INSERT ON logs FOR EACH ROW EXECUTE FUNCTION test_refuse_line();`);
    const file = wideLog(5000);
    const first = await svc.upload(file, { source: 'resume' });
    expect(first.status).toBe(202);
    const failed = await svc.waitForJob(first.body.job_id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/line 3500 refused/);
    expect(failed.lines_processed).toBeGreaterThan(0);
    expect(failed.lines_processed).toBeLessThan(3500);
    expect((await storedPerLine('resume')).rows).toBe(failed.lines_ingested);

    await svc.db.exec('DROP TRIGGER test_refuse_line ON logs');
    const again = await svc.upload(file, { source: 'resume' });
    expect(again.status).toBe(202);
    const job = await svc.waitForJob(again.body.job_id);
    expect(job.status).toBe('succeeded');
    expect(await storedPerLine('resume')).toEqual({ rows: 5000, lines: 5000 });
    expect(again.body).toMatchObject({
      job_id: failed.id, duplicate_of: null,
      resumed_from: { lines_processed: failed.lines_processed, error: failed.error },
    });
    expect(job).toMatchObject({ lines_processed: 5000, lines_ingested: 5000, lines_rejected: 0, lines_skipped: 0, error: null });
    // Both files are gone: the failed job's old one when it was resumed, the new one when the job succeeded.
    await expect.poll(() => fs.readdirSync(svc.config.spoolDir), { timeout: 5000 }).toEqual([]);

    // Resumed and succeeded: the next upload of the same file is a duplicate of it.
    const third = await svc.upload(file, { source: 'resume' });
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ duplicate_of: failed.id, resumed_from: null });
  });

  it('the same file uploaded for two sources is stored for each', async () => {
    const file = wideLog(20);
    const a = await svc.upload(file, { source: 'site-a' });
    const b = await svc.upload(file, { source: 'site-b' });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.duplicate_of).toBeNull();
    expect(b.body.job_id).not.toBe(a.body.job_id);
    for (const up of [a, b]) expect(await svc.waitForJob(up.body.job_id)).toMatchObject({ status: 'succeeded', lines_ingested: 20 });
    expect(await storedPerLine('site-a')).toEqual({ rows: 20, lines: 20 });
    expect(await storedPerLine('site-b')).toEqual({ rows: 20, lines: 20 });
  });

  it('the same file for the same source again is a duplicate; force stores a second copy', async () => {
    const file = wideLog(10);
    const first = await svc.upload(file, { source: 'twice' });
    expect(first.status).toBe(202);
    await svc.waitForJob(first.body.job_id);
    const again = await svc.upload(file, { source: 'twice' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ job_id: first.body.job_id, duplicate_of: first.body.job_id, resumed_from: null });
    const forced = await svc.upload(file, { source: 'twice', force: 'true' });
    expect(forced.status).toBe(202);
    await svc.waitForJob(forced.body.job_id);
    expect(await storedPerLine('twice')).toEqual({ rows: 20, lines: 10 });
  });
});

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { compactAllRollups, rollupSnapshot } from '../../test/helpers/rollups.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { wideLine, wideLog } from '../../test/helpers/wideLog.js';
import { rebuildRollups } from './rebuildRollups.js';

interface Rejected { line_no: number; line_count: number; reason: string; code: string; detail: string; raw_log: string }

/**
 * A row the database refuses for its content is a rejected line, not a failed job (issue 13, defect 9):
 * the runner isolates it (src/ingest/isolation.ts) and commits everything around it exactly once.
 * (A key field too long for the rollup index no longer reaches the database: src/parse/fieldBounds.ts bounds it,
 * tested in src/api/uploadBounds.int.test.ts.)
 */
describeBackends('rows the database refuses on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, { INGEST_BATCH_ROWS: '500' });
  });
  afterAll(async () => svc?.close());

  const rejectedOf = async (jobId: string): Promise<Rejected[]> =>
    (await svc.getJson<{ items: Rejected[] }>(`/ingest/jobs/${jobId}/rejected`)).body.items;

  it('refused by a CHECK constraint: the three lines are rejected with the reason, every other line stored once', async () => {
    await svc.db.exec('ALTER TABLE logs ADD CONSTRAINT test_no_teapots CHECK (status_code <> 418)');
    try {
      // Several batches (about 1,000 of these lines each); the three refused lines in different ones.
      const teapots = [700, 2600, 4400];
      const res = await svc.upload(wideLog(5000, (n) => (teapots.includes(n) ? 418 : 200)), { source: 'teapots' });
      expect(res.status).toBe(202);
      const job = await svc.waitForJob(res.body.job_id, 120_000);
      expect(job).toMatchObject({ status: 'succeeded', error: null, lines_processed: 5000, lines_ingested: 4997, lines_rejected: 3, lines_skipped: 0 });
      expect(job.lines_ingested + job.lines_rejected + job.lines_skipped).toBe(5000);

      const rejected = await rejectedOf(job.id);
      expect(rejected.map((r) => r.line_no)).toEqual(teapots);
      for (const r of rejected) {
        expect(r).toMatchObject({ code: 'refused_by_database', reason: 'the database refused the record' });
        expect(r.detail).toMatch(/^23514 .*test_no_teapots/);
        expect(r).toMatchObject({ line_count: 1, raw_log: wideLine(r.line_no, 418) });
      }
      const stored = await svc.db.query<{ rows: number; lines: number; teapots: number }>(
        `SELECT count(*)::int AS rows, count(DISTINCT line_no)::int AS lines, count(*) FILTER (WHERE line_no = ANY($2))::int AS teapots
         FROM logs WHERE job_id = $1`,
        [job.id, teapots],
      );
      expect(stored.rows[0]).toEqual({ rows: 4997, lines: 4997, teapots: 0 });

      // The rollups written batch by batch (isolated ones included) are what the raw rows add up to.
      await compactAllRollups(svc.db);
      const incremental = await rollupSnapshot(svc.db);
      await rebuildRollups(svc.db);
      expect(await rollupSnapshot(svc.db)).toEqual(incremental);
    } finally {
      await svc.db.exec('ALTER TABLE logs DROP CONSTRAINT test_no_teapots');
    }
  }, 180_000);
});

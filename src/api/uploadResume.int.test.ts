import fs from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../test/helpers/db.js';
import { refuseLogRows } from '../../test/helpers/refuseRows.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { wideLog } from '../../test/helpers/wideLog.js';

interface LogPage {
  items: { timestamp: string; line_no: number }[];
}

/** nginx error lines (no zone in their time), one per wall-clock time given. */
const errorLog = (times: string[]): string =>
  times.map((t, i) => `${t} [error] 11#0: *${i + 1} open() "/x${i}" failed, client: 10.0.0.1, server: a, request: "GET /x${i} HTTP/1.1"\n`).join('');

/** Duplicate detection per (source, content), and a failed job's re-upload resuming it (issue 13, defects 9 and 20). */
describeBackends('re-uploads on %s', (kind) => {
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
    const lift = await refuseLogRows(svc.db, 'line', 'NEW.line_no = 3500');
    const file = wideLog(5000);
    const first = await svc.upload(file, { source: 'resume' });
    expect(first.status).toBe(202);
    const failed = await svc.waitForJob(first.body.job_id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/line 3500 refused/);
    expect(failed.lines_processed).toBeGreaterThan(0);
    expect(failed.lines_processed).toBeLessThan(3500);
    expect((await storedPerLine('resume')).rows).toBe(failed.lines_ingested);

    await lift();
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

  // The upload option tz (issue 14, point 8): the zone of timestamps that carry none, kept on the job like its format.
  const storedTimes = async (source: string): Promise<string[]> => {
    const res = await svc.getJson<LogPage>(`/logs?source=${source}&limit=50`);
    expect(res.status).toBe(200);
    return res.body.items.sort((a, b) => a.line_no - b.line_no).map((r) => new Date(r.timestamp).toISOString());
  };

  it('reads an error log in the tz given, in winter and summer, and the job names the zone', async () => {
    const file = errorLog(['2026/01/15 08:00:00', '2026/07/15 08:00:00', '2026/11/01 01:30:00']);
    const up = await svc.upload(file, { source: 'tz-ny', tz: 'America/New_York' });
    expect(up.status).toBe(202);
    expect(await svc.waitForJob(up.body.job_id)).toMatchObject({ status: 'succeeded', lines_ingested: 3, tz: 'America/New_York' });
    // EST, EDT, and the hour New York lives twice: its first pass (EDT).
    expect(await storedTimes('tz-ny')).toEqual(['2026-01-15T13:00:00.000Z', '2026-07-15T12:00:00.000Z', '2026-11-01T05:30:00.000Z']);

    // No tz: UTC, as before, and the job says so.
    const plain = await svc.upload(file, { source: 'tz-none' });
    expect(await svc.waitForJob(plain.body.job_id)).toMatchObject({ status: 'succeeded', tz: 'UTC' });
    expect((await storedTimes('tz-none'))[0]).toBe('2026-01-15T08:00:00.000Z');

    // The same content for the same source with another tz is a duplicate, like another format: the earlier job stands.
    const again = await svc.upload(file, { source: 'tz-ny', tz: 'Europe/Berlin' });
    expect(again).toMatchObject({ status: 200, body: { duplicate_of: up.body.job_id } });
    const listed = await svc.getJson<{ items: { id: string; tz: string }[] }>('/ingest/jobs?limit=10');
    expect(listed.body.items.find((j) => j.id === up.body.job_id)?.tz).toBe('America/New_York');
  });

  it('refuses an unknown zone with a 400 naming tz', async () => {
    const res = await svc.upload(errorLog(['2026/01/15 08:00:00']), { source: 'tz-bad', tz: 'Mars/Olympus_Mons' });
    expect(res.status).toBe(400);
    expect((res.body as unknown as { invalid_params: unknown }).invalid_params).toEqual([
      { name: 'tz', reason: expect.stringContaining("unknown time zone 'Mars/Olympus_Mons'") as unknown },
    ]);
  });

  it('a resumed job keeps the tz it started with', async () => {
    // The database refuses the job's lines with an error that is not about a row's data: the job fails.
    const lift = await refuseLogRows(svc.db, 'tz', "NEW.source = 'tz-resume'");
    const file = errorLog(['2026/02/01 12:00:00', '2026/08/01 12:00:00']);
    const first = await svc.upload(file, { source: 'tz-resume', tz: '+05:30' });
    const failed = await svc.waitForJob(first.body.job_id);
    expect(failed).toMatchObject({ status: 'failed', tz: '+05:30' });

    await lift();
    const again = await svc.upload(file, { source: 'tz-resume', tz: 'Europe/Berlin' });
    expect(again.body).toMatchObject({ job_id: failed.id, resumed_from: { error: expect.stringContaining('refused') as unknown } });
    expect(await svc.waitForJob(failed.id)).toMatchObject({ status: 'succeeded', lines_ingested: 2, tz: '+05:30' });
    expect(await storedTimes('tz-resume')).toEqual(['2026-02-01T06:30:00.000Z', '2026-08-01T06:30:00.000Z']); // +05:30, not Berlin
  });
});

/**
 * Rejected lines through the API (issue 14, #7): lines rejected for one cause with different values
 * are one group of GET /ingest/jobs/{id}/rejected/summary, and ?code= lists one group's lines.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { line, T0 } from '../../test/helpers/burstLog.js';
import { describeBackends } from '../../test/helpers/db.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';
import { REJECTION_REASONS } from '../domain/rejection.js';
import type { IngestJob } from '../ingest/jobs.js';

interface Group { code: string | null; reason: string; lines: number; first_line_no: number; example_detail: string | null }
interface Page { items: { line_no: number; code: string | null; reason: string; detail: string | null; raw_log: string }[]; next_after_line: number | null }

const SECOND = 1000;
/** 100 lines: every third of the first 90 has a status that is not one (`201x`, `204x`, …: 30 different values), lines 51 and 81 have `-` as the client. */
function file(): string {
  return Array.from({ length: 100 }, (_, i) => {
    const text = line(T0 + i * SECOND, 200, `/item/${i}`);
    if (i < 90 && i % 3 === 1) return text.replace('" 200 ', `" ${200 + i}x `);
    if (i === 50 || i === 80) return text.replace('10.1.2.3 ', '- ');
    return text;
  }).join('\n');
}

describeBackends('rejected lines by reason code on %s', (kind) => {
  let svc: TestService;
  let job: IngestJob;
  beforeAll(async () => {
    svc = await startTestService(kind);
    const up = await svc.upload(`${file()}\n`, { source: 'rejects', format: 'nginx_combined_timed' });
    job = await svc.waitForJob(up.body.job_id);
  });
  afterAll(async () => svc?.close());

  it('30 lines with 30 different bad statuses are one group; the groups add up to the lines rejected, most lines first', async () => {
    expect(job).toMatchObject({ status: 'succeeded', lines_ingested: 68, lines_rejected: 32 });
    const summary = await svc.getJson<{ groups: Group[] }>(`/ingest/jobs/${job.id}/rejected/summary`);
    expect(summary.status).toBe(200);
    const column = line(T0, 200, '/item/1').indexOf('" 200 ') + 3;
    expect(summary.body.groups).toEqual([
      { code: 'bad_status', reason: REJECTION_REASONS.bad_status, lines: 30, first_line_no: 2, example_detail: `$status '201x' at column ${column}` },
      { code: 'bad_client', reason: REJECTION_REASONS.bad_client, lines: 2, first_line_no: 51, example_detail: "$remote_addr '-' at column 1" },
    ]);
  });

  it('?code= lists only the lines of that code, in pages', async () => {
    const clients = await svc.getJson<Page>(`/ingest/jobs/${job.id}/rejected?code=bad_client`);
    expect(clients.body.items.map((r) => [r.line_no, r.code, r.reason, r.detail])).toEqual([
      [51, 'bad_client', REJECTION_REASONS.bad_client, "$remote_addr '-' at column 1"],
      [81, 'bad_client', REJECTION_REASONS.bad_client, "$remote_addr '-' at column 1"],
    ]);
    const first = await svc.getJson<Page>(`/ingest/jobs/${job.id}/rejected?code=bad_status&limit=20`);
    expect(first.body.items.map((r) => r.line_no)).toEqual(Array.from({ length: 20 }, (_, i) => 2 + 3 * i));
    expect(first.body.next_after_line).toBe(59);
    const rest = await svc.getJson<Page>(`/ingest/jobs/${job.id}/rejected?code=bad_status&limit=20&after_line=59`);
    expect(rest.body.items.map((r) => r.line_no)).toEqual(Array.from({ length: 10 }, (_, i) => 62 + 3 * i));
    expect(new Set([...first.body.items, ...rest.body.items].map((r) => r.detail)).size).toBe(30);
  });

  it('an unknown code is a 400 naming the parameter', async () => {
    const res = await svc.inject({ method: 'GET', url: `/ingest/jobs/${job.id}/rejected?code=bad_stuff` });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json<{ invalid_params: { name: string; reason: string }[] }>().invalid_params).toEqual([
      { name: 'code', reason: expect.stringMatching(/^must be a rejection code: layout_mismatch, /) as unknown },
    ]);
  });

  it('lines rejected before codes keep their reason, and group by it', async () => {
    const up = await svc.upload(`${line(T0, 200, '/one')}\n`, { source: 'legacy' });
    const legacy = await svc.waitForJob(up.body.job_id);
    await svc.db.query(
      `INSERT INTO rejected_lines (job_id, line_no, line_count, reason, raw_log) VALUES
       ($1, 5, 1, 'bad client address ''x''', 'x a'), ($1, 6, 1, 'bad client address ''-''', '- a'), ($1, 7, 1, 'bad client address ''-''', '- b')`,
      [legacy.id],
    );
    const summary = await svc.getJson<{ groups: Group[] }>(`/ingest/jobs/${legacy.id}/rejected/summary`);
    expect(summary.body.groups).toEqual([
      { code: null, reason: "bad client address '-'", lines: 2, first_line_no: 6, example_detail: null },
      { code: null, reason: "bad client address 'x'", lines: 1, first_line_no: 5, example_detail: null },
    ]);
    const page = await svc.getJson<Page>(`/ingest/jobs/${legacy.id}/rejected`);
    expect(page.body.items[0]).toEqual({ line_no: 5, line_count: 1, code: null, reason: "bad client address 'x'", detail: null, raw_log: 'x a' });
  });

  it('a job that does not exist is a 404', async () => {
    const res = await svc.inject({ method: 'GET', url: '/ingest/jobs/00000000-0000-4000-8000-000000000000/rejected/summary' });
    expect(res.statusCode).toBe(404);
  });
});

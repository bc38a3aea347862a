import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REJECTION_REASONS, type RejectionCode } from '../src/domain/rejection.js';
import type { IngestJob } from '../src/ingest/jobs.js';
import { describeBackends } from './helpers/db.js';
import { sharedData, SHARED_DATA } from './helpers/env.js';
import { serviceRejections, type Rejection } from './helpers/expectedRejections.js';
import { readAccessStatus, readLines } from './helpers/logFiles.js';
import { rebuildRollups } from '../src/ingest/rebuildRollups.js';
import type { Summary } from '../src/analytics/summary.js';
import { compactAllRollups, rollupSnapshot } from './helpers/rollups.js';
import { startTestService, type TestService } from './helpers/service.js';

/** Every log file under ../shared/data (everything but the provenance notes). */
function logFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== 'SOURCES.md') out.push(p);
    }
  };
  walk(SHARED_DATA);
  return out.sort();
}

describeBackends('every real log in ../shared/data on %s', [sharedData], (kind) => {
  let svc: TestService;
  const files = sharedData.available ? logFiles() : [];
  const jobs = new Map<string, IngestJob>();

  beforeAll(async () => {
    svc = await startTestService(kind, { INGEST_CONCURRENCY: '2' });
    const ids = new Map<string, string>();
    for (const file of files) {
      const rel = path.relative(SHARED_DATA, file);
      const res = await svc.upload(fs.readFileSync(file), { source: rel, force: 'true' });
      expect(res.status, rel).toBe(202);
      ids.set(rel, res.body.job_id);
    }
    for (const [rel, id] of ids) jobs.set(rel, await svc.waitForJob(id, 120_000));
  }, 300_000);
  afterAll(async () => svc?.close());

  it('ingests every file: ingested + rejected + skipped = the lines in the file', () => {
    expect(jobs.size).toBe(files.length);
    for (const file of files) {
      const rel = path.relative(SHARED_DATA, file);
      const job = jobs.get(rel)!;
      const lines = readLines(file);
      expect(job.status, rel).toBe('succeeded');
      expect(job.lines_processed, rel).toBe(lines.length);
      expect(job.lines_ingested + job.lines_rejected + job.lines_skipped, rel).toBe(lines.length);
      expect(job.lines_skipped, rel).toBe(lines.filter((l) => l.trim() === '').length);
    }
  });

  it('stores one row per record and one rejected row per unparsed record, at their line numbers', async () => {
    const stored = await svc.db.query<{ source: string; records: number; lines: number }>(
      'SELECT source, count(*)::int AS records, sum(line_count)::int AS lines FROM logs GROUP BY source',
    );
    const bySource = new Map(stored.rows.map((r) => [r.source, r]));
    for (const [rel, job] of jobs) {
      expect(bySource.get(rel)?.records ?? 0, rel).toBe(job.records_ingested);
      expect(bySource.get(rel)?.lines ?? 0, rel).toBe(job.lines_ingested);
    }
  });

  it('a multi-line nginx error record (FastCGI output) is one record with its continuation lines', async () => {
    const job = jobs.get('elastic-beats/nginx-error-error.log')!;
    expect(job).toMatchObject({ lines_processed: 6, lines_ingested: 6, records_ingested: 4, lines_rejected: 0 });
    const multi = await svc.db.query<{ line_no: number; line_count: number; raw_log: string; log_level: string }>(
      'SELECT line_no, line_count, raw_log, log_level FROM logs WHERE job_id = $1 AND line_count > 1', [job.id],
    );
    expect(multi.rows).toHaveLength(1);
    expect(multi.rows[0]!.raw_log.split('\n')).toHaveLength(multi.rows[0]!.line_count);
  });

  it('rejects only the lines that are not log lines or not plausibly timed, each with a reason', async () => {
    const rows = await svc.db.query<{ job_id: string; line_no: number; reason: string; reason_code: RejectionCode; detail: string }>(
      'SELECT job_id, line_no, reason, reason_code, detail FROM rejected_lines ORDER BY line_no',
    );
    const byJob = new Map<string, Rejection[]>();
    for (const r of rows.rows) {
      expect(r.reason).toBe(REJECTION_REASONS[r.reason_code]);
      byJob.set(r.job_id, [...(byJob.get(r.job_id) ?? []), [r.line_no, r.reason_code, r.detail]]);
    }
    const unexpected: string[] = [];
    for (const [rel, job] of jobs) {
      const got = byJob.get(job.id) ?? [];
      const expected = serviceRejections(rel);
      if (rel.startsWith('fail2ban/raw/')) continue; // fail2ban's originals hold comment lines: rejected by design
      if (JSON.stringify(got) !== JSON.stringify(expected)) unexpected.push(`${rel}: rejected lines ${JSON.stringify(got)}`);
    }
    expect(unexpected).toEqual([]);
  });

  it('summary: total_requests and status_codes of every access log equal an independent count of its lines', async () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const file of files) {
      const rel = path.relative(SHARED_DATA, file);
      const job = jobs.get(rel)!;
      if (rel.startsWith('fail2ban/raw/') || !/^(nginx|apache)_(?!error)/.test(job.format ?? '')) continue;
      const rejected = new Set(serviceRejections(rel).map(([lineNo]) => lineNo));
      const expected: Record<string, number> = {};
      readLines(file).forEach((line, i) => {
        const status = rejected.has(i + 1) ? undefined : readAccessStatus(line);
        if (status !== undefined) expected[status] = (expected[status] ?? 0) + 1;
      });
      const res = await svc.getJson<Summary>(`/analytics/summary?source=${encodeURIComponent(rel)}`);
      expect(res.status, rel).toBe(200);
      const total = Object.values(expected).reduce((a, b) => a + b, 0);
      if (res.body.total_requests !== total || JSON.stringify(res.body.status_codes) !== JSON.stringify(sortKeys(expected))) {
        mismatches.push(`${rel}: got ${res.body.total_requests} ${JSON.stringify(res.body.status_codes)}, file ${total} ${JSON.stringify(sortKeys(expected))}`);
      }
      checked++;
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('top endpoints of the real Apache log are its most requested paths, grouped into routes', async () => {
    const res = await svc.getJson<Summary>(`/analytics/summary?source=${encodeURIComponent('elastic-examples/apache_logs')}&top=5`);
    // Counted by hand from the file: the paths carry no ids, so each route is a path.
    const counts = new Map<string, number>();
    for (const line of readLines(path.join(SHARED_DATA, 'elastic-examples/apache_logs'))) {
      const m = /"[A-Z]+ (\/[^ ?"]*)/.exec(line);
      if (m) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
    }
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 5);
    expect(res.body.top_endpoints.map((t) => [t.route, t.count])).toEqual(top);
  });

  it('rollups maintained batch by batch are identical to rollups rebuilt from the raw rows', async () => {
    await compactAllRollups(svc.db);
    const before = await rollupSnapshot(svc.db);
    expect(before.rollups_1m!.length).toBeGreaterThan(1000);
    await rebuildRollups(svc.db);
    expect(await rollupSnapshot(svc.db)).toEqual(before);
  });
});

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

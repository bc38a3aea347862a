import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LogRow } from '../domain/record.js';
import { sampleLines } from '../ingest/sampleLines.js';
import { describeBackends } from '../../test/helpers/db.js';
import { refuseLogRows } from '../../test/helpers/refuseRows.js';
import { startTestService, type TestService } from '../../test/helpers/service.js';

/**
 * Mixed files under format=auto (issue 14): each record is read by the layout that explains its line,
 * stores which, and the job counts its lines per layout, exactly once across a resume.
 */

const T0 = Date.UTC(2026, 9, 5, 0, 0, 0);

/** Line `n`: combined, one request a second from T0, then `tail` (a request time) when given. */
function line(n: number, tail: string | null, agent = 'Mozilla/5.0 (X11; Linux x86_64)'): string {
  const d = new Date(T0 + (n - 1) * 1000);
  const p = (v: number): string => String(v).padStart(2, '0');
  const time = `${p(d.getUTCDate())}/Oct/2026:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  const combined = `10.0.${(n >> 8) & 255}.${n & 255} - - [${time}] "GET /items/${n} HTTP/1.1" 200 ${500 + n} "-" "${agent}"`;
  return tail === null ? combined : `${combined} ${tail}`;
}

/** nginx `$request_time` of line n: seconds with three decimals. */
const requestTime = (n: number): string => (((n * 37) % 2000) / 1000 + 0.001).toFixed(3);
/** Apache `%D` of line n: microseconds. */
const micros = (n: number): string => String(1000 + ((n * 7919) % 400_000));

const file = (lines: string[]): string => `${lines.join('\n')}\n`;

describeBackends('record layouts on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, { INGEST_BATCH_ROWS: '500' });
  });
  afterAll(async () => svc?.close());

  /** Every stored record of a source, by line number, through GET /logs. */
  const records = async (source: string): Promise<Map<number, LogRow>> => {
    const byLine = new Map<number, LogRow>();
    let cursor: string | null = null;
    do {
      const qs: string = new URLSearchParams({ source, limit: '1000', ...(cursor ? { cursor } : {}) }).toString();
      const page = await svc.getJson<{ items: LogRow[]; next_cursor: string | null }>(`/logs?${qs}`);
      expect(page.status).toBe(200);
      for (const r of page.body.items) byLine.set(r.line_no, r);
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    return byLine;
  };

  it('one plain line above 1,000 timed ones: each record read by its own layout, latency on every timed one', async () => {
    const lines = [line(1, null), ...Array.from({ length: 1000 }, (_, i) => line(i + 2, requestTime(i + 2)))];
    const up = await svc.upload(file(lines), { source: 'plain-top' });
    expect(up.status).toBe(202);
    const job = await svc.waitForJob(up.body.job_id);
    expect(job).toMatchObject({
      status: 'succeeded', lines_ingested: 1001, lines_rejected: 0, format: 'nginx_combined_timed', format_confidence: 'high', format_warnings: [],
      layouts: [{ name: 'nginx_combined_timed', lines: 1000 }, { name: 'nginx_combined', lines: 1 }],
    });
    const stored = await records('plain-top');
    expect(stored.size).toBe(1001);
    expect(stored.get(1)).toMatchObject({ layout: 'nginx_combined', latency_ms: null, user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' });
    for (let n = 2; n <= 1001; n++) {
      const r = stored.get(n)!;
      expect(r.layout).toBe('nginx_combined_timed');
      expect(r.latency_ms).toBeCloseTo(Number(requestTime(n)) * 1000, 6);
      expect(r.user_agent).toBe('Mozilla/5.0 (X11; Linux x86_64)');
    }
  });

  it('a file whose second half adds %D: the lines after the head are sampled, and read in microseconds', async () => {
    // The head (200 lines) shows only plain combined; which unit the integer after it has is decided
    // from the values in the windows further on. Without them, no line of the second half gets a latency.
    const lines = Array.from({ length: 1200 }, (_, i) => line(i + 1, i < 600 ? null : micros(i + 1)));
    const up = await svc.upload(file(lines), { source: 'second-half' });
    const job = await svc.waitForJob(up.body.job_id);
    expect(job).toMatchObject({
      status: 'succeeded', lines_ingested: 1200, format_confidence: 'high', format_warnings: [],
      layouts: [{ name: 'apache_combined_us', lines: 600 }, { name: 'nginx_combined', lines: 600 }],
    });
    const stored = await records('second-half');
    for (let n = 1; n <= 1200; n++) {
      const r = stored.get(n)!;
      if (n <= 600) expect(r).toMatchObject({ layout: 'nginx_combined', latency_ms: null });
      else {
        expect(r.layout).toBe('apache_combined_us');
        expect(r.latency_ms).toBeCloseTo(Number(micros(n)) / 1000, 6);
      }
    }
  });

  it('a resumed job counts each line for its layout once', async () => {
    // About 1 KB a line: the worker cuts a batch per 1 MiB read, so the job commits a batch before line 1200.
    const agent = `Mozilla/5.0 ${'x'.repeat(900)}`;
    const lines = Array.from({ length: 1500 }, (_, i) => line(i + 1, (i + 1) % 3 === 0 ? null : requestTime(i + 1), agent));
    const lift = await refuseLogRows(svc.db, 'layout_line', 'NEW.line_no = 1200');
    const first = await svc.upload(file(lines), { source: 'resumed' });
    const failed = await svc.waitForJob(first.body.job_id);
    await lift();
    expect(failed.status).toBe('failed');
    expect(failed.lines_ingested).toBeGreaterThan(0);
    // What the failed run committed is counted, and only that.
    expect(failed.layouts.reduce((sum, l) => sum + l.lines, 0)).toBe(failed.lines_ingested);

    const again = await svc.upload(file(lines), { source: 'resumed' });
    expect(again.body.job_id).toBe(failed.id);
    const job = await svc.waitForJob(again.body.job_id);
    expect(job).toMatchObject({
      status: 'succeeded', lines_ingested: 1500,
      layouts: [{ name: 'nginx_combined_timed', lines: 1000 }, { name: 'nginx_combined', lines: 500 }],
    });
  });

  it('lines only a catch-all reads: the job warns and is unsure, whether detection saw them or not', async () => {
    // Lines 201… are sampled in windows from 1/9 of the file on; line 250 lies between the head and the
    // first window, so detection does not see it (checked below) and the warning comes from the job's counts.
    const lines = Array.from({ length: 3000 }, (_, i) => line(i + 1, i + 1 === 250 ? 'gzip=2.41 x' : requestTime(i + 1)));
    const text = file(lines);
    expect(sampledTexts(text).has(lines[249]!)).toBe(false);
    const unseen = await svc.waitForJob((await svc.upload(text, { source: 'catch-all-unseen' })).body.job_id);
    expect(unseen).toMatchObject({
      status: 'succeeded', lines_ingested: 3000, format: 'nginx_combined_timed', format_confidence: 'low',
      layouts: [{ name: 'nginx_combined_timed', lines: 2999 }, { name: 'combined_extra', lines: 1 }],
      format_warnings: [expect.stringMatching(/^1 line was read by combined_extra, which ignores the fields after the user agent: latency may be missing/)],
    });
    expect((await records('catch-all-unseen')).get(250)).toMatchObject({ layout: 'combined_extra', latency_ms: null });

    // Every line read by the catch-all: detection warns itself, and the job does not repeat it.
    const seen = await svc.waitForJob((await svc.upload(file(lines.map((_, i) => line(i + 1, 'gzip=2.41 x')).slice(0, 50)), { source: 'catch-all' })).body.job_id);
    expect(seen).toMatchObject({ status: 'succeeded', format: 'combined_extra', format_confidence: 'low', layouts: [{ name: 'combined_extra', lines: 50 }] });
    expect(seen.format_warnings).toHaveLength(1);
    expect(seen.format_warnings[0]).toMatch(/sample lines carry fields after the user agent/);
    // The list shows the same.
    const list = await svc.getJson<{ items: { id: string; format_confidence: string; format_warnings: string[] }[] }>('/ingest/jobs?limit=200');
    expect(list.body.items.find((j) => j.id === unseen.id)).toMatchObject({ format_confidence: 'low', format_warnings: unseen.format_warnings });
  });
});

/** The lines auto-detection sees in `text`. */
function sampledTexts(text: string): Set<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-layout-'));
  try {
    const f = path.join(dir, 'sample.log');
    fs.writeFileSync(f, text);
    const fd = fs.openSync(f, 'r');
    try {
      const s = sampleLines(fd, 65536);
      return new Set([...s.head, ...s.spread]);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Issue 14's acceptance through the real upload path (spool, worker, COPY) with format=auto: the
 * mixed files (plain and timed lines in one file) and the single formats whose units went wrong
 * (Apache %T, combinedio, the NGINX docs' upstream_time), 2,000 lines each, read back from `logs` by
 * line number and compared with each line's truth. Every other format is covered, cheaper, by
 * src/ingest/formatFidelity.test.ts; this file proves that ingestion builds the parser the same way.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatCorpus, MIXED_FILES, type Corpus } from '../bench/formatCorpus.js';
import type { IngestJob } from '../src/domain/ingestJob.js';
import { describeBackends } from './helpers/db.js';
import { fidelityProblems, warningNamesEvery, type Observed, type Outcome } from './helpers/formatFidelity.js';
import { startTestService, type TestService } from './helpers/service.js';

const LINES = 2000;
/** mixed_interleaved_5_95 is left to the unit test: the upload path adds nothing a 50/50 file does not show. */
const FILES = [
  ...MIXED_FILES.map((m) => m.name).filter((n) => n !== 'mixed_interleaved_5_95'),
  'apache_combined_T', 'apache_combinedio', 'nginx_upstream_time',
];

interface StoredRow extends Observed {
  line_no: number;
}

/** The job's detection verdict: its confidence, and its warnings as one text. */
function verdictOf(job: IngestJob): { confidence?: string; warning?: string } {
  return { confidence: job.format_confidence ?? undefined, warning: job.format_warnings.join('\n') };
}

describeBackends('format=auto uploads store every field as the file wrote it, on %s', (kind) => {
  let svc: TestService;
  const uploads = new Map<string, { corpus: Corpus; job: IngestJob }>();

  beforeAll(async () => {
    svc = await startTestService(kind);
    const started: [Corpus, string][] = [];
    for (const name of FILES) {
      const corpus = formatCorpus(name, LINES);
      const res = await svc.upload(corpus.text, { source: name, format: 'auto' });
      expect(res.status, name).toBe(202);
      started.push([corpus, res.body.job_id]);
    }
    for (const [corpus, id] of started) uploads.set(corpus.name, { corpus, job: await svc.waitForJob(id, 120_000) });
  }, 300_000);
  afterAll(async () => svc?.close());

  it.each(FILES)('%s', async (name) => {
    const { corpus, job } = uploads.get(name)!;
    expect(job).toMatchObject({ status: 'succeeded', lines_processed: LINES, lines_skipped: 0 });
    expect(job.lines_ingested + job.lines_rejected).toBe(LINES);

    const rows = await svc.db.query<StoredRow>(
      `SELECT line_no::int AS line_no, (extract(epoch FROM timestamp) * 1000)::float8 AS "timestampMs", status_code AS status,
              latency_ms AS "latencyMs", bytes_sent::float8 AS bytes, method, endpoint, protocol, user_agent AS "userAgent",
              referer, host, client_ip AS client
         FROM logs WHERE job_id = $1`,
      [job.id],
    );
    const rejected = await svc.db.query<{ line_no: number; reason: string; detail: string | null }>(
      'SELECT line_no::int AS line_no, reason, detail FROM rejected_lines WHERE job_id = $1', [job.id],
    );
    const byLine = new Map<number, Outcome>();
    for (const { line_no, ...record } of rows.rows) byLine.set(line_no, { record });
    for (const r of rejected.rows) byLine.set(r.line_no, { rejected: `${r.reason}: ${r.detail ?? ''}` });
    const outcomes = corpus.lines.map((_l, i): Outcome => byLine.get(i + 1) ?? { rejected: 'not stored' });

    // A rejected line is a problem here too (never excused by a warning): the files hold nothing a server would not write.
    const problems = fidelityProblems(corpus.lines, outcomes);
    const verdict = verdictOf(job);
    // Issue 14's other acceptable answer: the job says detection was unsure, naming each field it may get wrong.
    if (problems.length > 0 && verdict.confidence === 'low' && warningNamesEvery(verdict.warning, problems)) return;
    expect(problems.map((p) => p.summary), `detected as ${job.format}`).toEqual([]);
  });
});

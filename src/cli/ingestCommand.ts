import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { errorSentence } from './errorSentence.js';
import { byteProgressLine, parseProgressLine, parseSummary, quarter } from './progressLine.js';
import { progressMode, progressOutput } from './progressOutput.js';
import { contentSha256, multipartUpload } from './uploadBody.js';

export interface IngestOptions {
  server: string;
  /** An API key with the ingest scope. */
  apiKey?: string | undefined;
  source?: string | undefined;
  format?: string | undefined;
  logFormat?: string | undefined;
  /** The zone of timestamps written without one (IANA name or offset); the server's default is UTC. */
  tz?: string | undefined;
  force?: boolean | undefined;
  progress: boolean;
  pollMs?: number;
}

interface JobView {
  id: string;
  status: string;
  format: string | null;
  /** Absent from servers older than the tz option. */
  tz?: string;
  bytes_total: number;
  bytes_processed: number;
  lines_ingested: number;
  lines_rejected: number;
  lines_skipped: number;
  records_ingested: number;
  lines_processed: number;
  error: string | null;
  started_at?: string | null;
  finished_at?: string | null;
  /** Absent from servers older than the format report. */
  format_confidence?: 'high' | 'low' | null;
  format_warnings?: string[];
  layouts?: { name: string; lines: number }[];
}

/** What `ingest` prints for a finished job: the counts, then where the rejected lines are, the layouts and the warnings. */
export function jobReport(file: string, job: JobView, server: string): string[] {
  const sure = job.format_confidence === 'low' ? ' (detection unsure)' : '';
  const out = [
    `${file}: job ${job.id} ${job.status} — format ${job.format ?? '?'}${sure}${job.tz ? `, tz ${job.tz}` : ''}, ${job.lines_ingested} lines ingested ` +
      `(${job.records_ingested} records), ${job.lines_rejected} rejected, ${job.lines_skipped} empty` +
      (job.error ? ` — error: ${job.error}` : ''),
  ];
  if (job.lines_rejected > 0) out.push(`  rejected lines: ${new URL(`/ingest/jobs/${job.id}/rejected`, server).href}`);
  const layouts = job.layouts ?? [];
  if (layouts.length > 1) out.push(`  layouts: ${layouts.map((l) => `${l.name} ${l.lines} line${l.lines === 1 ? '' : 's'}`).join(', ')}`);
  for (const w of job.format_warnings ?? []) out.push(`  warning: ${w}`);
  return out;
}

function authHeaders(opts: IngestOptions): Record<string, string> {
  return opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {};
}

async function problemText(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const p = JSON.parse(text) as { detail?: string };
    return `${res.status} ${p.detail ?? text}`;
  } catch {
    return `${res.status} ${text.slice(0, 200)}`;
  }
}

const secsSince = (t: number): number => (Date.now() - t) / 1000;

/** A directory among the files is refused before any byte is read, with Node's own error shape (errorSentence reads it). */
async function checkFile(file: string): Promise<number> {
  const stat = await fs.promises.stat(file);
  if (stat.isDirectory()) {
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${file}'`), { code: 'EISDIR', syscall: 'open', path: file });
  }
  return stat.size;
}

/**
 * The job that already holds this content for the source, if any: what the server would answer as
 * `duplicate_of` (a job with the same source and SHA-256 that did not fail; a failed one is resumed by
 * an upload). Asked before sending, so a duplicate costs a hash, not an upload. The match is checked
 * here too: a server older than the `sha256` filter ignores it and lists every job.
 */
async function uploadedBefore(file: string, size: number, opts: IngestOptions): Promise<JobView | undefined> {
  const out = progressOutput(progressMode(opts.progress) === 'terminal' ? 'terminal' : 'off');
  const started = Date.now();
  let sha256: string;
  try {
    sha256 = await contentSha256(file, (read) =>
      out.show((w) => byteProgressLine({ label: `hash ${path.basename(file)}`, done: read, total: size, elapsedSecs: secsSince(started) }, { barWidth: w }), 0));
  } finally {
    out.stop();
  }
  // The server's default source, for the key of an upload without --source.
  const source = opts.source ?? 'default';
  const url = new URL('/ingest/jobs', opts.server);
  url.searchParams.set('source', source);
  url.searchParams.set('sha256', sha256);
  url.searchParams.set('limit', '50');
  const res = await fetch(url, { headers: authHeaders(opts) });
  if (!res.ok) throw new Error(`asking whether ${file} was uploaded before failed: ${await problemText(res)}`);
  const { items } = (await res.json()) as { items: (JobView & { source: string; sha256: string })[] };
  return items.find((j) => j.sha256 === sha256 && j.source === source && j.status !== 'failed');
}

/** Streams one file to POST /logs/upload as multipart (its name becomes the job's file_name), with a byte progress line. */
async function upload(file: string, size: number, opts: IngestOptions): Promise<{ jobId: string; duplicate: boolean }> {
  const url = new URL('/logs/upload', opts.server);
  if (opts.source) url.searchParams.set('source', opts.source);
  if (opts.format) url.searchParams.set('format', opts.format);
  if (opts.logFormat) url.searchParams.set('log_format', opts.logFormat);
  if (opts.tz) url.searchParams.set('tz', opts.tz);
  if (opts.force) url.searchParams.set('force', 'true');
  const out = progressOutput(progressMode(opts.progress));
  const started = Date.now();
  const label = `upload ${path.basename(file)}`;
  const { body, contentType, contentLength } = multipartUpload(file, size, (sent) =>
    out.show((w) => byteProgressLine({ label, done: sent, total: size, elapsedSecs: secsSince(started) }, { barWidth: w }), quarter(sent, size)));
  try {
    const res = await fetch(url, {
      method: 'POST',
      body: Readable.toWeb(body) as ReadableStream<Uint8Array>,
      headers: { ...authHeaders(opts), 'content-type': contentType, 'content-length': String(contentLength) },
      duplex: 'half',
    });
    if (res.status !== 202 && res.status !== 200) throw new Error(`upload of ${file} failed: ${await problemText(res)}`);
    const answer = (await res.json()) as { job_id: string; duplicate_of: string | null };
    return { jobId: answer.job_id, duplicate: answer.duplicate_of !== null };
  } finally {
    out.stop();
  }
}

/** Polls the job until it ends, with a progress line over the bytes parsed and the job's lines/s. */
async function waitForJob(jobId: string, label: string, opts: IngestOptions): Promise<JobView> {
  const out = progressOutput(progressMode(opts.progress));
  let first: { at: number; lines: number; bytes: number } | undefined;
  try {
    for (;;) {
      const res = await fetch(new URL(`/ingest/jobs/${jobId}`, opts.server), { headers: authHeaders(opts) });
      if (!res.ok) throw new Error(`job ${jobId}: ${await problemText(res)}`);
      const job = (await res.json()) as JobView;
      first ??= { at: Date.now(), lines: job.lines_processed, bytes: job.bytes_processed };
      const seen = first;
      out.show((w) => parseProgressLine({
        label: `parse ${label}`, bytesProcessed: job.bytes_processed, bytesTotal: job.bytes_total, linesProcessed: job.lines_processed,
        linesSinceFirstSeen: job.lines_processed - seen.lines, bytesSinceFirstSeen: job.bytes_processed - seen.bytes,
        secsSinceFirstSeen: secsSince(seen.at),
      }, { barWidth: w }), job.status === 'succeeded' ? 4 : quarter(job.bytes_processed, job.bytes_total));
      if (job.status === 'succeeded' || job.status === 'failed') return job;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
  } finally {
    out.stop();
  }
}

interface RejectionGroupView {
  code: string | null;
  reason: string;
  lines: number;
  first_line_no: number;
  example_detail: string | null;
}

/** The job's rejected lines by reason (GET /ingest/jobs/{id}/rejected/summary), each group's first line, and where to list them. */
async function printRejections(jobId: string, opts: IngestOptions): Promise<void> {
  const res = await fetch(new URL(`/ingest/jobs/${jobId}/rejected/summary`, opts.server), { headers: authHeaders(opts) });
  // The job itself is what succeeded or failed: a summary the server cannot give is said, not an exit code.
  const groups = res.ok ? ((await res.json()) as { groups: RejectionGroupView[] }).groups : [];
  if (!res.ok) console.log(`  (no summary of the rejected lines: ${await problemText(res)})`);
  for (const g of groups) {
    const example = g.example_detail === null ? '' : `: ${g.example_detail}`;
    console.log(`  ${g.lines} rejected: ${g.reason}${g.code === null ? '' : ` [${g.code}]`} (first at line ${g.first_line_no}${example})`);
  }
  console.log(`  rejected lines: ${new URL(`/ingest/jobs/${jobId}/rejected`, opts.server).href} (?code=… for one reason)`);
}

/** A failure of fetch itself (undici's TypeError, the reason in its cause): the server did not answer at all. */
function unreachable(err: unknown): boolean {
  return err instanceof TypeError && err.message === 'fetch failed';
}

/** One line for a failure: the sentence of a known set-up error (src/cli/errorSentence.ts), else the message and its cause's. */
function failureLine(err: unknown, server: string): string {
  const sentence = errorSentence(err, { server });
  if (sentence !== undefined) return sentence;
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

/** One file: unless --force, asks whether its content is on the server already; else uploads it; then waits for the job. */
async function ingestFile(file: string, opts: IngestOptions): Promise<boolean> {
  const size = await checkFile(file);
  const before = opts.force ? undefined : await uploadedBefore(file, size, opts);
  if (before) console.log(`${file}: already uploaded as job ${before.id} (use --force to ingest again)`);
  const { jobId, duplicate } = before ? { jobId: before.id, duplicate: true } : await upload(file, size, opts);
  if (duplicate && !before) console.log(`${file}: already uploaded as job ${jobId} (use --force to ingest again)`);
  // A duplicate's job is shown as it stands, without progress: its rates would be of another run.
  const job = await waitForJob(jobId, path.basename(file), duplicate ? { ...opts, progress: false } : opts);
  for (const line of jobReport(file, job, opts.server)) console.log(line);
  const summary = duplicate || !opts.progress ? undefined : parseSummary(job.lines_processed, job.started_at ?? null, job.finished_at ?? null);
  if (summary !== undefined) console.log(`  ${summary}`);
  if (job.lines_rejected > 0) await printRejections(job.id, opts);
  return job.status === 'succeeded';
}

/**
 * `loginsights ingest FILE...`: each file in turn; returns the exit code. A file that fails (a
 * directory, refused by the server) is reported in one line and the others still go; a server that
 * does not answer stops the run, since every file would fail the same way.
 */
export async function ingestFiles(files: string[], opts: IngestOptions): Promise<number> {
  let failures = 0;
  for (const [i, file] of files.entries()) {
    try {
      if (!(await ingestFile(file, opts))) failures++;
    } catch (err) {
      const line = failureLine(err, opts.server);
      if (unreachable(err)) {
        const left = files.length - i - 1;
        console.error(`loginsights: ${line}${left > 0 ? ` (${left} more file${left === 1 ? '' : 's'} not sent)` : ''}`);
        return 1;
      }
      console.error(`loginsights: ${file}: ${line}`);
      failures++;
    }
  }
  return failures === 0 ? 0 : 1;
}

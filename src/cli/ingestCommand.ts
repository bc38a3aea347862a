import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import cliProgress from 'cli-progress';

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
  error: string | null;
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

function bar(label: string, enabled: boolean): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value_h}/{total_h} | {speed} | ETA {eta_formatted}`,
      formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? human(v) : String(v)),
      noTTYOutput: enabled && !process.stderr.isTTY,
      notTTYSchedule: 2000,
      stream: process.stderr,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
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

/** Streams one file to POST /logs/upload with a byte progress bar; returns the job id. */
async function upload(file: string, opts: IngestOptions): Promise<{ jobId: string; duplicate: boolean }> {
  const size = fs.statSync(file).size;
  const url = new URL('/logs/upload', opts.server);
  if (opts.source) url.searchParams.set('source', opts.source);
  if (opts.format) url.searchParams.set('format', opts.format);
  if (opts.logFormat) url.searchParams.set('log_format', opts.logFormat);
  if (opts.tz) url.searchParams.set('tz', opts.tz);
  if (opts.force) url.searchParams.set('force', 'true');
  const progress = bar(`upload ${path.basename(file)}`, opts.progress);
  if (opts.progress) progress.start(size, 0, { speed: '' });
  const started = Date.now();
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      if (opts.progress) progress.update(sent, { speed: `${human(sent / Math.max(0.001, (Date.now() - started) / 1000))}/s` });
      done(null, chunk);
    },
  });
  const body = Readable.toWeb(fs.createReadStream(file).pipe(counter)) as ReadableStream<Uint8Array>;
  try {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: { ...authHeaders(opts), 'content-type': 'application/octet-stream', 'content-length': String(size) },
      duplex: 'half',
    });
    if (res.status !== 202 && res.status !== 200) throw new Error(`upload of ${file} failed: ${await problemText(res)}`);
    const answer = (await res.json()) as { job_id: string; duplicate_of: string | null };
    return { jobId: answer.job_id, duplicate: answer.duplicate_of !== null };
  } finally {
    if (opts.progress) progress.stop();
  }
}

/** Polls the job until it ends, with a progress bar over the bytes parsed. */
async function waitForJob(jobId: string, opts: IngestOptions): Promise<JobView> {
  const progress = bar('ingest', opts.progress);
  let startedBar = false;
  const started = Date.now();
  try {
    for (;;) {
      const res = await fetch(new URL(`/ingest/jobs/${jobId}`, opts.server), { headers: authHeaders(opts) });
      if (!res.ok) throw new Error(`job ${jobId}: ${await problemText(res)}`);
      const job = (await res.json()) as JobView;
      if (opts.progress) {
        if (!startedBar) progress.start(job.bytes_total, 0, { speed: '' });
        startedBar = true;
        const lps = job.lines_ingested / Math.max(0.001, (Date.now() - started) / 1000);
        progress.update(job.bytes_processed, { speed: `${Math.round(lps)} lines/s` });
      }
      if (job.status === 'succeeded' || job.status === 'failed') return job;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
    }
  } finally {
    if (startedBar) progress.stop();
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

/** `loginsights ingest FILE...`: uploads each file, waits for its job, prints the counts. Returns the exit code. */
export async function ingestFiles(files: string[], opts: IngestOptions): Promise<number> {
  let failures = 0;
  for (const file of files) {
    try {
      const { jobId, duplicate } = await upload(file, opts);
      if (duplicate) console.log(`${file}: already uploaded as job ${jobId} (use --force to ingest again)`);
      const job = await waitForJob(jobId, opts);
      for (const line of jobReport(file, job, opts.server)) console.log(line);
      if (job.lines_rejected > 0) await printRejections(job.id, opts);
      if (job.status !== 'succeeded') failures++;
    } catch (err) {
      console.error(err instanceof Error ? err.message : String(err));
      failures++;
    }
  }
  return failures === 0 ? 0 : 1;
}

import type { IngestJob } from '../domain/ingestJob.js';
import { PRESETS } from '../parse/presets.js';

/**
 * What a job says about its format beyond detection's own verdict (stored with its batches): lines a
 * catch-all preset read. Detection sees a sample; a catch-all also reads lines of the file the sample
 * did not show (they fall through every strict layout), and those lines may lack their latency. The
 * job's layout counts (ingest_job_layouts) tell, so the warning is derived when the job is read.
 */

/** What each catch-all preset (presets.ts `fallbackOnly`) reads before it ignores the rest of a line. */
const IGNORES_AFTER: Readonly<Record<string, string>> = {
  combined_extra: 'the user agent',
  common_extra: 'the response size',
};

export const CATCH_ALLS: readonly string[] = PRESETS.filter((p) => p.fallbackOnly === true).map((p) => p.name);

/**
 * Detection's own warning about sample lines read by a catch-all (src/parse/detect.ts); when present,
 * the job's warning is not repeated. formatReport.test.ts pins this against detection's wording.
 */
const DETECTION_CATCH_ALL = 'sample lines carry fields after the user agent';

export function catchAllIgnores(name: string): string {
  return IGNORES_AFTER[name] ?? 'its last field';
}

type FormatFields = Pick<IngestJob, 'format_requested' | 'format_confidence' | 'format_warnings' | 'layouts'>;

/**
 * The job with a warning per catch-all preset that read some of its lines, and confidence 'low',
 * unless detection warned of them already. Only for auto detection: a catch-all asked for by name is
 * the uploader's own choice.
 */
export function withCatchAllWarnings<J extends FormatFields>(job: J): J {
  if (job.format_requested !== 'auto') return job;
  const read = job.layouts.filter((l) => CATCH_ALLS.includes(l.name) && l.lines > 0);
  if (read.length === 0 || job.format_warnings.some((w) => w.includes(DETECTION_CATCH_ALL))) return job;
  const warnings = read.map((l) =>
    `${l.lines} ${l.lines === 1 ? 'line was' : 'lines were'} read by ${l.name}, which ignores the fields after ${catchAllIgnores(l.name)}: ` +
      'latency may be missing; paste your log_format / LogFormat (format=nginx or apache) to read them');
  return { ...job, format_confidence: 'low', format_warnings: [...job.format_warnings, ...warnings] };
}

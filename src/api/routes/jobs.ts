import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isApiTimestamp } from '../../domain/apiTimestamp.js';
import { REJECTION_CODES, REJECTION_REASONS } from '../../domain/rejection.js';
import { getJob, listJobs, listRejectedLines, MAX_REJECTION_GROUPS, summariseRejectedLines } from '../../ingest/jobs.js';
import { AppError } from '../errors.js';
import { limitParam, problemSchema } from '../schemas.js';
import type { ServerDeps } from '../server.js';

export const jobSchema = z.object({
  id: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  source: z.string(),
  format_requested: z.string(),
  log_format: z.string().nullable(),
  format: z.string().nullable().describe('The format used (auto-detection reports its choice here)'),
  tz: z.string().describe(
    'The time zone timestamps without one were read in (the upload\'s `tz`, canonical: an IANA name or `±HH:MM`; `UTC` by default). ' +
    'Timestamps that carry an offset keep it',
  ),
  format_confidence: z.enum(['high', 'low']).nullable().describe(
    "How sure the format is: 'low' when two layouts fit the sampled lines and disagree on a field, or lines were read by a " +
    'catch-all preset (combined_extra, common_extra) that ignores the fields it does not know. Null until the first batch is stored',
  ),
  format_warnings: z.array(z.string()).describe('What format detection was unsure of, one sentence each; empty when sure'),
  layouts: z.array(z.object({ name: z.string(), lines: z.number() })).describe(
    'Lines of stored records per layout that read them, most first: auto-detection reads a mixed file line by line with the layouts it found',
  ),
  file_name: z.string().nullable(),
  sha256: z.string(),
  gzip: z.boolean(),
  bytes_total: z.number().describe('Bytes of (decompressed) log text'),
  bytes_processed: z.number(),
  lines_processed: z.number(),
  lines_ingested: z.number(),
  lines_rejected: z.number(),
  lines_skipped: z.number().describe('Empty lines'),
  records_ingested: z.number().describe('Stored records; a multi-line record counts once'),
  min_timestamp: z.string().nullable(),
  max_timestamp: z.string().nullable(),
  attempts: z.number(),
  error: z.string().nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  spool_removed_at: z.string().nullable().describe(
    'Set on a failed job whose uploaded file was removed from the spool (FAILED_SPOOL_KEEP_HOURS after it failed). ' +
    'Uploading the same file for the same source again resumes the job from where it stopped, whether or not its file is still there',
  ),
  alert_evaluation: z.object({
    status: z.enum(['pending', 'running', 'done', 'failed']),
    evaluated_from: z.string().nullable().optional().describe('Event time of the first record evaluated; null: none was'),
    evaluated_to: z.string().nullable().optional().describe('Event time of the last record evaluated (at most now)'),
    rules: z.number().optional().describe("Rules evaluated: the enabled ones whose source filter admits the job's source"),
    steps: z.number().optional().describe('Windows evaluated, one per rule and minute of event time'),
    episodes: z.number().optional().describe('Episodes found for the first time'),
    not_evaluated: z.object({ from: z.string(), to: z.string(), reason: z.string() }).nullable().optional()
      .describe("Event time of the job's records that was not evaluated, and why (older than ALERT_SPAN_MAX before its last record): backtest the rules over it"),
    error: z.string().optional().describe('Why a failed evaluation failed'),
  }).nullable().describe(
    "Alert rules evaluated over the job's event time: null until the job succeeds; pending, running, then done or failed. " +
    "At most ALERT_SPAN_MAX of event time back from the job's last record is evaluated.",
  ),
});

const idParams = z.object({ id: z.uuid('must be a job id (UUID)').describe('The job id (a UUID), as the upload answered it in `job_id`') });

const codeList = REJECTION_CODES.map((c) => `\`${c}\` (${REJECTION_REASONS[c]})`).join(', ');
const rejectionCodeParam = z.enum(REJECTION_CODES, { error: `must be a rejection code: ${REJECTION_CODES.join(', ')}` });

const rejectedLineSchema = z.object({
  line_no: z.number(),
  line_count: z.number().describe('Lines of the file in this record (multi-line error records)'),
  reason: z.string().describe('The phrase of `code`; for lines rejected before codes, the reason as stored'),
  code: z.string().nullable().describe('Reason code, from a fixed vocabulary; null for lines rejected before codes'),
  detail: z.string().nullable().describe('Where and what in this line: the field or literal, an excerpt of the value, the column'),
  raw_log: z.string(),
});

const rejectionGroupSchema = z.object({
  code: z.string().nullable().describe('Reason code; null for lines rejected before codes (grouped by their stored reason)'),
  reason: z.string(),
  lines: z.number().describe('Lines rejected for this reason'),
  first_line_no: z.number(),
  example_detail: z.string().nullable().describe('The detail of the first line'),
});

// The answers are named, not written inline, so the dashboard shares their types (src/api/wireTypes.ts).
export const jobPage = z.object({ items: z.array(jobSchema), next_cursor: z.string().nullable() });
export const rejectedLinePage = z.object({ items: z.array(rejectedLineSchema), next_after_line: z.number().nullable() });
export const rejectionSummary = z.object({ groups: z.array(rejectionGroupSchema) });

function encodeJobCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Only what encodeJobCursor writes: anything else would reach PostgreSQL's timestamptz and uuid casts (a 500). */
function decodeJobCursor(value: string): { createdAt: string; id: string } {
  const parts = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const [createdAt, id] = parts;
  if (parts.length !== 2 || createdAt === undefined || id === undefined || !isApiTimestamp(createdAt) || !UUID.test(id)) {
    throw AppError.badParam('cursor', 'not a cursor returned by this API');
  }
  return { createdAt, id };
}

export function jobRoutes(deps: ServerDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get('/ingest/jobs', {
      config: { access: 'ingest' },
      schema: {
        tags: ['ingest'],
        summary: 'Ingest jobs, newest first',
        querystring: z.object({
          status: z.enum(['queued', 'running', 'succeeded', 'failed']).optional().describe('Only jobs in this state'),
          source: z.string().min(1).max(200).optional().describe('Only jobs of this source'),
          sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits').optional().describe(
            'Only jobs of this content: the SHA-256 of the (decompressed) log, as the job shows it. With `source`, whether an ' +
            'upload would be a duplicate (a job that is not failed) before sending it; `loginsights ingest` asks so',
          ),
          limit: limitParam(200, 50),
          cursor: z.string().max(200).optional().describe('The `next_cursor` of the previous page'),
        }),
        response: { 200: jobPage, 400: problemSchema },
      },
    }, async (req) => {
      const after = req.query.cursor ? decodeJobCursor(req.query.cursor) : undefined;
      const { limit, status, source, sha256 } = req.query;
      const rows = await listJobs(deps.db, { limit: limit + 1, status, source, sha256, after });
      const items = rows.slice(0, req.query.limit);
      const last = items[items.length - 1];
      return { items, next_cursor: rows.length > req.query.limit && last ? encodeJobCursor(last.created_at, last.id) : null };
    });

    app.get('/ingest/jobs/:id', {
      config: { access: 'ingest' },
      schema: {
        tags: ['ingest'],
        summary: 'One ingest job: status, progress and line counts',
        params: idParams,
        response: { 200: jobSchema, 404: problemSchema },
      },
    }, async (req) => {
      const job = await getJob(deps.db, req.params.id);
      if (!job) throw AppError.notFound(`ingest job ${req.params.id}`);
      return job;
    });

    app.get('/ingest/jobs/:id/rejected', {
      config: { access: 'ingest' },
      schema: {
        tags: ['ingest'],
        summary: 'Lines of a job that did not parse, with their line numbers, reason codes and details',
        description:
          'In line order. `reason` is the phrase of `code`, one of a fixed vocabulary (see `code`), so that lines group; ' +
          '`detail` says where and what in this line (the field or literal, an excerpt of the value, the column). ' +
          'Lines rejected before codes existed keep their stored reason, with `code` and `detail` null. ' +
          'GET /ingest/jobs/{id}/rejected/summary gives the groups.',
        params: idParams,
        querystring: z.object({
          limit: limitParam(1000, 100).describe('Page size, 1–1000'),
          after_line: z.coerce.number().int().min(0).default(0).describe('Return lines after this line number'),
          code: rejectionCodeParam.optional().describe(`Only lines rejected for this reason code: ${codeList}`),
        }),
        response: {
          200: rejectedLinePage,
          400: problemSchema,
          404: problemSchema,
        },
      },
    }, async (req) => {
      const job = await getJob(deps.db, req.params.id);
      if (!job) throw AppError.notFound(`ingest job ${req.params.id}`);
      const items = await listRejectedLines(deps.db, job.id, { limit: req.query.limit, afterLineNo: req.query.after_line, code: req.query.code });
      const last = items[items.length - 1];
      return { items, next_after_line: items.length === req.query.limit && last ? last.line_no : null };
    });

    app.get('/ingest/jobs/:id/rejected/summary', {
      config: { access: 'ingest' },
      schema: {
        tags: ['ingest'],
        summary: "A job's rejected lines grouped by reason code, most lines first",
        description:
          'One group per reason code, with the lines rejected for it (they add up to the job\'s `lines_rejected`), ' +
          'its first line and that line\'s detail; GET /ingest/jobs/{id}/rejected?code=… lists a group\'s lines. ' +
          `Lines rejected before codes existed group by their stored reason, with \`code\` null (at most ${MAX_REJECTION_GROUPS} groups).`,
        params: idParams,
        response: {
          200: rejectionSummary,
          404: problemSchema,
        },
      },
    }, async (req) => {
      const job = await getJob(deps.db, req.params.id);
      if (!job) throw AppError.notFound(`ingest job ${req.params.id}`);
      return { groups: await summariseRejectedLines(deps.db, job.id) };
    });
  };
}

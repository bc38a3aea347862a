import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { FormatList } from '../../domain/formatDetection.js';
import { FormatError, listFormats, validateFormatRequest, zoneFromSpec, type FormatRequest } from '../../parse/index.js';
import { AppError } from '../errors.js';
import { previewFormat } from '../formatPreview.js';
import { problemSchema } from '../schemas.js';
import type { ServerDeps } from '../server.js';

/** Lines one detection may explain: ingestion's own sample is about 200, the dashboard sends a few hundred. */
export const DETECT_MAX_LINES = 1_000;
/**
 * The whole body: detection reads every line with every preset (~30 layouts), so the work is bounded by
 * bytes, not only lines. Measured: 490 KB of quote-heavy lines cost about a second of CPU, which blocks
 * the event loop; 256 KiB keeps the worst case near half of that, and the dashboard sends about 100 KB.
 */
export const DETECT_MAX_BODY_BYTES = 256 * 1024;

const formatItem = z.object({
  name: z.string().describe('The value of `format` on an upload'),
  description: z.string(),
  definition: z.string().nullable().describe('The layout as the server writes it: the nginx `log_format` or Apache `LogFormat` line ' +
    '(an optional ending in [brackets]), or how the format is fixed; null for auto, nginx and apache'),
  example: z.string().nullable().describe('One line in this layout; null for auto, nginx and apache'),
});

export const formatList = z.object({
  items: z.array(formatItem), max_line_bytes: z.number().describe('Longer lines are rejected (MAX_LINE_BYTES)'),
});

const record = z.object({
  timestamp: z.string().describe('ISO 8601, UTC'),
  log_level: z.enum(['INFO', 'WARN', 'ERROR']),
  status_code: z.number().nullable(),
  method: z.string().nullable(),
  endpoint: z.string().nullable().describe('The request path without its query string, as logged'),
  protocol: z.string().nullable(),
  latency_ms: z.number().nullable().describe('The request time in milliseconds, whatever unit the layout logs it in'),
  client_ip: z.string().nullable(),
  bytes_sent: z.number().nullable(),
  user_agent: z.string().nullable(),
  referer: z.string().nullable(),
  host: z.string().nullable(),
  message: z.string().describe('Access logs: the request line; error logs: the message'),
}).describe('The fields as they would be stored, named as in GET /logs');

export const detectAnswer = z.object({
  format: z.string().describe('The primary layout: what auto-detection chose (a job reports it as `format`), or the format asked for (`custom` for a log_format)'),
  confidence: z.enum(['high', 'low']).describe('low: two layouts fit the lines and disagree on a field, or some lines are read only by a catch-all that ignores fields'),
  warnings: z.array(z.string()).describe('What detection was unsure of, one sentence each; an upload of the file shows the same on its job'),
  layouts: z.array(z.object({ name: z.string(), lines: z.number() })).describe('Lines each layout reads first (a mixed file is read line by line), most first'),
  candidates: z.array(z.object({
    name: z.string(),
    parsed: z.number().describe('Lines this layout reads on its own'),
    role: z.enum(['primary', 'fallback', 'catch-all', 'unused', 'outvoted']).describe(
      'primary: tried first; fallback: reads lines the layouts before it reject; catch-all: tried last, ignores appended fields; ' +
      'unused: not in the chain or reads no line first; outvoted: reads the same lines as a layout chosen over it',
    ),
    note: z.string().nullable().describe('Why, when a choice was made (e.g. the request time unit chosen from the values)'),
  })).describe('Every preset auto-detection scored, the primary first, then by lines read; empty when a format was given'),
  lines: z.array(z.object({
    line_no: z.number().describe('1-based position in the input'),
    outcome: z.enum(['record', 'rejected', 'continuation', 'skipped']).describe(
      'record: stored; rejected: kept as a rejected line with its reason; continuation: joined to the record above it (multi-line ' +
      'nginx error records); skipped: empty, counted and not stored',
    ),
    layout: z.string().nullable().describe('The layout that read the line'),
    record: record.nullable(),
    code: z.string().nullable().describe('Why the line would be rejected: a code of the fixed vocabulary (as GET /ingest/jobs/{id}/rejected)'),
    reason: z.string().nullable().describe("The code's phrase"),
    detail: z.string().nullable().describe('Where and what in this line (field or literal, the value, the column)'),
  })),
});

const detectBody = (maxLineBytes: number) => z.object({
  lines: z.array(
    // max() states the bound in the OpenAPI document (characters are at most bytes); the refine counts bytes.
    z.string().max(maxLineBytes, { message: `longer than ${maxLineBytes} bytes (MAX_LINE_BYTES)`, abort: true })
      .refine((s) => Buffer.byteLength(s) <= maxLineBytes, { message: `longer than ${maxLineBytes} bytes (MAX_LINE_BYTES)`, abort: true })
      .refine((s) => !s.includes('\n'), 'must be one line (no newline)'),
  ).min(1, 'send at least one line').max(DETECT_MAX_LINES, `at most ${DETECT_MAX_LINES} lines`).optional()
    .describe(`Log lines, as in the file (1–${DETECT_MAX_LINES}, each at most MAX_LINE_BYTES); or send \`text\``),
  text: z.string().optional().describe('The lines as one text, split on newlines (instead of `lines`)'),
  format: z.string().max(64).default('auto').describe('`auto` (default): detect; a preset or `nginx`/`apache` with `log_format`: explain how it reads the lines'),
  log_format: z.string().max(8192).optional().describe('An nginx `log_format` or Apache `LogFormat` line, pasted verbatim'),
  tz: z.string().max(64).optional().describe('The time zone of timestamps written without one, as on an upload (IANA name or offset; default UTC)'),
});

export function formatRoutes(deps: ServerDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const maxLineBytes = deps.config.maxLineBytes;

    app.get('/formats', {
      config: { access: 'ingest' },
      schema: {
        tags: ['meta'],
        summary: 'Log formats that `format` accepts, each with its definition and an example line',
        response: { 200: formatList },
      },
    }, (): FormatList => ({ items: listFormats(), max_line_bytes: maxLineBytes }));

    app.post('/formats/detect', {
      config: { access: 'ingest' },
      bodyLimit: DETECT_MAX_BODY_BYTES,
      schema: {
        tags: ['meta'],
        summary: 'Which layout an upload of these lines would use, and why, field by field',
        description: 'Runs auto-detection (or the given format) over a few lines, as an upload would, without storing anything: ' +
          'the chosen layout, how sure it is, every candidate\'s score, and each line\'s record or rejection. ' +
          `The body is at most ${DETECT_MAX_BODY_BYTES / 1024} KiB (413 above).`,
        body: detectBody(maxLineBytes),
        response: { 200: detectAnswer, 400: problemSchema, 413: problemSchema },
      },
    }, (req) => {
      const b = req.body;
      const lines = inputLines(b.lines, b.text, maxLineBytes);
      return previewFormat(lines, formatRequest(b.format, b.log_format, b.tz), Date.now());
    });
  };
}

function inputLines(lines: string[] | undefined, text: string | undefined, maxLineBytes: number): string[] {
  if (lines !== undefined && text !== undefined) throw AppError.badParam('text', 'send `lines` or `text`, not both');
  if (lines !== undefined) return lines;
  if (text === undefined) throw AppError.badParam('lines', 'send `lines` (an array of log lines) or `text`');
  const split = text.split('\n');
  if (text.endsWith('\n')) split.pop(); // a final newline ends the last line, as in a file
  if (split.length === 0 || (split.length === 1 && split[0] === '')) throw AppError.badParam('text', 'send at least one line');
  if (split.length > DETECT_MAX_LINES) throw AppError.badParam('text', `${split.length} lines; at most ${DETECT_MAX_LINES}`);
  return split.map((line, i) => {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (Buffer.byteLength(l) > maxLineBytes) throw AppError.badParam('text', `line ${i + 1} is longer than ${maxLineBytes} bytes (MAX_LINE_BYTES)`);
    return l;
  });
}

/** The upload options as an upload validates them: a bad one is a 400 naming it. */
function formatRequest(format: string, logFormat: string | undefined, tz: string | undefined): FormatRequest {
  const req = { format: format.trim() || 'auto', logFormat, tz };
  try {
    validateFormatRequest(req);
  } catch (err) {
    if (err instanceof FormatError) throw AppError.badParam(logFormat ? 'log_format' : 'format', err.message);
    throw err;
  }
  try {
    zoneFromSpec(tz);
  } catch (err) {
    if (err instanceof FormatError) throw AppError.badParam('tz', err.message);
    throw err;
  }
  return req;
}

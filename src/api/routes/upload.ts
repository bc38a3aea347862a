import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { Multipart, MultipartFile } from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createJob } from '../../ingest/jobs.js';
import { abortable, SpoolError, spoolUpload } from '../../ingest/spool.js';
import { AppError } from '../errors.js';
import { checkFormatParams } from '../formatParams.js';
import { problemSchema } from '../schemas.js';
import type { ServerDeps } from '../server.js';
import { spoolProblem, uploadLimits } from '../uploadLimits.js';

const uploadOptions = z.object({
  // zod counts code points: 200 are at most 800 bytes in UTF-8, within the rollups' btree key budget (src/parse/fieldBounds.ts).
  source: z.string().min(1).max(200).regex(/^[^\x00-\x1f]+$/, 'must not contain control characters').default('default')
    .describe('Where the log comes from (site, host, service); a search and analytics filter'),
  format: z.string().max(64).default('auto').describe('`auto` (default), a preset from GET /formats, or `nginx`/`apache` with `log_format`'),
  log_format: z.string().max(8192).optional().describe("An nginx `log_format` or Apache `LogFormat` line, pasted verbatim"),
  tz: z.string().max(64).optional().describe(
    'The time zone of timestamps written without one (nginx and Apache error logs, access layouts without an offset): an IANA name ' +
    '(`Europe/Berlin`, `America/New_York`, `UTC`) or a fixed offset (`+05:30`, `-0700`, `Z`). Default UTC. A timestamp with an offset ' +
    'keeps its own. A wall time that does not exist (spring forward) is read with the offset before the change; one that happens ' +
    'twice (fall back) is its first occurrence. The job shows the zone used (`tz`)',
  ),
  force: z.enum(['true', 'false']).default('false')
    .describe('Store the content again as a new job even if it was uploaded for this source before: a second copy, on purpose'),
});

export const uploadAnswer = z.object({
  job_id: z.string(),
  status_url: z.string(),
  status: z.string(),
  duplicate_of: z.string().nullable().describe('Set when the same content was uploaded before for the same source: that job'),
  resumed_from: z.object({ lines_processed: z.number(), error: z.string().nullable() }).nullable().describe(
    'Set when this upload resumed a failed job of the same content and source (job_id is that job): ' +
    'the lines it had already stored, which are not stored again, and the error it had failed with',
  ),
});


const ACCEPTED = 'multipart/form-data (field `file`), application/octet-stream, text/plain or application/gzip';

/**
 * Errors of the multipart parser as problems: busboy's own (no boundary, a malformed part) carry no
 * status and would otherwise be a 500; a second file stops the parser (limit files: 1) and would
 * otherwise be left out without a word.
 */
function multipartProblem(err: unknown): unknown {
  const e = err as { code?: string; statusCode?: number };
  if (e.code === 'FST_FILES_LIMIT') return AppError.badParam('file', 'send one file per upload');
  if (err instanceof Error && !(err instanceof AppError) && e.statusCode === undefined) {
    return new AppError(400, 'bad_multipart', `malformed multipart/form-data body: ${err.message}`);
  }
  return err;
}

/** The first file part; option fields before it are on its `fields`. */
async function firstFile(parts: AsyncIterator<Multipart>): Promise<MultipartFile | undefined> {
  try {
    for (let n = await parts.next(); !n.done; n = await parts.next()) {
      if (n.value.type === 'file') return n.value;
    }
    return undefined;
  } catch (err) {
    throw multipartProblem(err);
  }
}

/** Reads the parts after the spooled file: fields there are ignored, another file is refused. */
async function rejectMoreFiles(parts: AsyncIterator<Multipart>): Promise<void> {
  try {
    for (let n = await parts.next(); !n.done; n = await parts.next()) {
      if (n.value.type === 'file') throw AppError.badParam('file', 'send one file per upload');
    }
  } catch (err) {
    throw multipartProblem(err);
  }
}

/** Options come from the query string, overridden by multipart fields sent before the file part. */
function readOptions(req: FastifyRequest, part: MultipartFile | undefined): z.infer<typeof uploadOptions> & { zone: string } {
  const fields: Record<string, unknown> = { ...(req.query as Record<string, unknown>) };
  for (const [name, field] of Object.entries(part?.fields ?? {})) {
    const f = Array.isArray(field) ? field[0] : field;
    if (f && f.type === 'field' && name !== 'file') fields[name] = f.value;
  }
  const parsed = uploadOptions.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw AppError.badParam(String(issue?.path[0] ?? 'request'), issue?.message ?? 'invalid');
  }
  const o = parsed.data;
  return { ...o, ...checkFormatParams(o) };
}

export function uploadRoutes(deps: ServerDeps): FastifyPluginAsync {
  const { maxUploadBytes, spoolDir } = deps.config;
  const guarded = uploadLimits(deps);
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    // At shutdown, an upload still streaming in has its connection cut (src/cli/serve.ts); the server
    // closes only once its handler has settled, having removed its half-written spool file.
    const handling = new Set<Promise<unknown>>();
    const track = <T>(run: () => Promise<T>): Promise<T> => {
      const p = run();
      handling.add(p);
      void p.catch(() => undefined).finally(() => handling.delete(p));
      return p;
    };
    app.addHook('onClose', async () => {
      await Promise.allSettled([...handling]);
    });
    app.post('/logs/upload', {
      config: { access: 'ingest', unbounded: true },
      schema: {
        tags: ['ingest'],
        summary: 'Upload a log file; parsing runs in the background',
        description:
          'Send the file as multipart field `file` (options as fields before it, or in the query string), or as the raw body ' +
          '(`application/octet-stream`, `text/plain`, `application/gzip`). Plain text or gzip, recognised by its magic bytes. ' +
          'Answers 202 once the body is safely on disk; the same content uploaded again for the same source answers 200 with ' +
          '`duplicate_of`, or, when that job failed, 202 with `resumed_from`: the failed job continues where it stopped, with the ' +
          'format and tz it started with (the options of the new upload do not apply to it; `force=true` stores a second copy with them).',
        consumes: ['multipart/form-data', 'application/octet-stream', 'text/plain', 'application/gzip'],
        querystring: uploadOptions.partial(),
        response: {
          200: uploadAnswer, 202: uploadAnswer, 400: problemSchema, 408: problemSchema, 413: problemSchema, 415: problemSchema,
          429: problemSchema, 507: problemSchema,
        },
      },
    }, (req, reply) => track(() => guarded(req, reply, async ({ signal, charge, keep }) => {
      let body: Readable;
      let part: MultipartFile | undefined;
      let parts: AsyncIterator<Multipart> | undefined;
      if (req.isMultipart()) {
        parts = req.parts();
        part = await abortable(firstFile(parts), signal);
        if (!part || part.fieldname !== 'file') throw AppError.badParam('file', 'multipart upload needs a `file` field');
        body = part.file;
      } else if (req.body instanceof Readable) {
        body = req.body;
      } else if (req.body === undefined) {
        throw AppError.badParam('file', 'send the log as multipart field `file` or as the request body');
      } else {
        // Fastify's own parsers (JSON) hand over a parsed value, not the bytes: not a log upload.
        const type = String(req.headers['content-type'] ?? '').slice(0, 100);
        throw new AppError(415, 'unsupported_media_type', `content type '${type}' is not accepted for an upload; send ${ACCEPTED}`);
      }
      const opts = readOptions(req, part);

      const tooLarge = (): AppError =>
        new AppError(413, 'upload_too_large', `upload exceeds the limit of ${maxUploadBytes} bytes (MAX_UPLOAD_BYTES)`);
      let spooled;
      try {
        spooled = await spoolUpload(body, { spoolDir, maxBytes: maxUploadBytes, quota: charge, signal });
      } catch (err) {
        // A gzip part cut at the limit (see below) fails to inflate: it is too large, not corrupt.
        if (part?.file.truncated || (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
        if (err instanceof SpoolError) throw spoolProblem(err);
        throw err;
      }
      try {
        // busboy cuts a file part at the multipart fileSize limit and only flags it: the stream
        // ends normally, so without this check the head of the file would be ingested as if whole.
        if (part?.file.truncated) throw tooLarge();
        if (parts) await rejectMoreFiles(parts);
      } catch (err) {
        await fs.promises.rm(spooled.path, { force: true });
        throw err;
      }
      const created = await createJob(deps.db, {
        source: opts.source,
        formatRequested: opts.format,
        logFormat: opts.log_format ?? null,
        tz: opts.zone,
        fileName: part?.filename ?? null,
        spoolPath: spooled.path,
        sha256: spooled.sha256,
        gzip: spooled.gzip,
        bytesTotal: spooled.bytes,
        forced: opts.force === 'true',
      }).catch(async (err: unknown) => {
        await fs.promises.rm(spooled.path, { force: true });
        throw err;
      });
      const { job } = created;
      const answer = {
        job_id: job.id, status_url: `/ingest/jobs/${job.id}`, status: job.status,
        duplicate_of: created.outcome === 'duplicate' ? job.id : null,
        resumed_from: created.outcome === 'resumed' ? { lines_processed: job.lines_processed, error: created.previous.error } : null,
      };
      if (created.outcome === 'duplicate') {
        await fs.promises.rm(spooled.path, { force: true });
        return reply.code(200).send(answer);
      }
      keep();
      // The resumed job reads the new file (same content); the old one, if housekeeping left it, is no one's now.
      if (created.outcome === 'resumed') await fs.promises.rm(created.previous.spoolPath, { force: true });
      deps.onJobQueued();
      return reply.code(202).header('location', answer.status_url).send(answer);
    })));
  };
}

import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/db.js';
import type { LiveJournal } from '../../live/journal.js';
import { listSourceStatus, SOURCE_PROTOCOLS, type SourceProtocol } from '../../live/sourceStatus.js';
import { deleteSourceFormat, getSourceFormat, setSourceFormat } from '../../live/sourceFormats.js';
import { AppError } from '../errors.js';
import { checkFormatParams } from '../formatParams.js';
import { problemSchema } from '../schemas.js';
import { singleFlight } from '../singleFlight.js';

export interface SourceRoutesDeps {
  db: Db;
  /** This process's journal; without it (RUN_WORKERS=false) the answer holds what the database knows only. */
  journal?: LiveJournal;
}

const protocols = Object.keys(SOURCE_PROTOCOLS) as [SourceProtocol, ...SourceProtocol[]];
const THIS_PROCESS = 'Counted by the process that answers, since it started (null: it has received nothing of this source)';

export const sourceStatusList = z.object({
  items: z.array(z.object({
    source: z.string(),
    protocol: z.enum(protocols).describe(`How the lines came: ${protocols.map((p) => `\`${p}\` (${SOURCE_PROTOCOLS[p]})`).join(', ')}`),
    first_seen: z.string().describe('When its first segment, upload or stream batch arrived'),
    last_seen: z.string().nullable().describe(
      'When lines of it last arrived and were kept. Exact for what this process received, and for `ship`; otherwise the start of '
      + 'its newest segment (lines may have come up to an hour later) or the time of its newest upload',
    ),
    lines_received: z.number().nullable().describe(`Lines journaled. ${THIS_PROCESS}`),
    lines_per_sec: z.number().nullable().describe(`Lines received per second over the last minute. ${THIS_PROCESS}`),
    lines_processed: z.number().describe('Lines parsed and committed, over all its jobs'),
    lines_rejected: z.number().describe('Lines rejected by the parse, over all its jobs (GET /ingest/jobs/{id}/rejected says why)'),
    lag_bytes: z.number().describe('Bytes received and not yet committed to the database: its open segments in this process, its sealed segments and uploads not parsed to the end'),
    lines_dropped: z.number().describe('Lines refused and lost: syslog UDP datagrams dropped while the database was behind or the journal could not write. '
      + `Drops in the kernel's receive buffer name no source: they are \`loginsights_syslog_udp_receive_drops\` in /metrics. ${THIS_PROCESS}, else 0`),
    refusals: z.number().describe(`Requests or reads refused with a retry-later (429, 503, a TCP sender held back): their senders send the lines again. ${THIS_PROCESS}, else 0`),
    last_error: z.object({ at: z.string(), message: z.string() }).nullable().describe(
      "The newest of: this process's last refusal of its lines, and the error of its newest job that has one (a failed job, or one being retried)",
    ),
    status: z.enum(['receiving', 'silent', 'idle']).describe(
      '`receiving`: lines arrived within its silence threshold, max(5 min, 10 × its usual gap between arrivals). `silent`: it was '
      + 'sending steadily (10 arrivals over a minute or more) and nothing has arrived for longer than that threshold; the process logs '
      + 'a warning once and sets `loginsights_live_source_silent` to 1 in /metrics. `idle`: neither: it stopped without having been '
      + 'steady, it is an upload, or this process has received nothing of it since it started',
    ),
  })),
});

const sourceParam = z.object({
  source: z.string().min(1).max(200).regex(/^[^\x00-\x1f]+$/, 'must not contain control characters').describe('The source (URL-encoded)'),
});

const sourceFormatBody = z.object({
  format: z.string().min(1).max(64).describe('`auto` (detected from each segment\'s first lines), a preset from GET /formats, or `nginx`/`apache` with `log_format`'),
  log_format: z.string().max(8192).optional().describe('An nginx `log_format` or Apache `LogFormat` line, pasted verbatim'),
  tz: z.string().max(64).optional().describe('The zone of timestamps written without one (an IANA name or a fixed offset); default UTC'),
});

const sourceFormat = z.object({
  source: z.string(),
  format: z.string(),
  log_format: z.string().nullable(),
  tz: z.string(),
  updated_at: z.string(),
});

/**
 * GET /sources: every source that has sent lines, per protocol, with where it stands now. The
 * logic is src/live/sourceStatus.ts; reads that arrive together share one query (singleFlight),
 * so a room of dashboards refreshing every few seconds costs one.
 */
export function sourceRoutes(deps: SourceRoutesDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const shared = singleFlight();
    app.get('/sources', {
      config: { access: 'read' },
      schema: {
        tags: ['live ingestion'],
        summary: 'Every source that has sent lines, per protocol: last seen, rate, lag, rejected and dropped lines, last error, silent or not',
        description:
          'One item per source and protocol, live inputs and uploads alike (uploads as protocol `upload`), ordered by source then protocol. '
          + 'What the database keeps (jobs: lines parsed and rejected, unparsed bytes) holds for every process; the rate, refusals, drops and '
          + "status are the answering process's, from what its own inputs received since it started: with several processes, each "
          + 'answers for the senders that reach it.',
        response: { 200: sourceStatusList },
      },
    }, async (req) => shared(req, async () => ({ items: await listSourceStatus(deps.db, deps.journal) })));

    app.get('/sources/:source/format', {
      config: { access: 'read' },
      schema: {
        tags: ['live ingestion'],
        summary: "The format a live source's lines are parsed with, when one is set",
        params: sourceParam,
        response: { 200: sourceFormat, 404: problemSchema },
      },
    }, async (req) => {
      const f = await getSourceFormat(deps.db, req.params.source);
      if (!f) throw AppError.notFound(`a format for source '${req.params.source}' (its segments detect theirs)`);
      return f;
    });

    app.put('/sources/:source/format', {
      config: { access: 'admin' },
      schema: {
        tags: ['live ingestion'],
        summary: "Set the format a live source's lines are parsed with",
        description: 'What an upload takes as `format`, `log_format` and `tz`, kept for a source that sends live (syslog, `_bulk`, Loki, '
          + 'OTLP, `ship`): each segment of it begun from now on is parsed with it, and the open segment of the process that answers is '
          + 'closed, so its next lines begin one (another process closes its own within the hour). Without one, each segment detects its '
          + 'format from its first lines.',
        params: sourceParam,
        body: sourceFormatBody,
        response: { 200: sourceFormat, 400: problemSchema },
      },
    }, async (req) => {
      const { zone } = checkFormatParams(req.body);
      const stored = await setSourceFormat(deps.db, { source: req.params.source, format: req.body.format, log_format: req.body.log_format ?? null, tz: zone });
      deps.journal?.sealSource(req.params.source);
      return stored;
    });

    app.delete('/sources/:source/format', {
      config: { access: 'admin' },
      schema: {
        tags: ['live ingestion'],
        summary: "Forget a live source's format: its next segments detect theirs again",
        params: sourceParam,
        response: { 204: z.null(), 404: problemSchema },
      },
    }, async (req, reply) => {
      if (!(await deleteSourceFormat(deps.db, req.params.source))) throw AppError.notFound(`a format for source '${req.params.source}'`);
      return reply.code(204).send(null);
    });
  };
}

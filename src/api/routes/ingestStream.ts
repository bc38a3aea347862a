import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Db } from '../../db/db.js';
import type { LiveJournal } from '../../live/journal.js';
import { fileLines } from '../../live/journalLines.js';
import { AppError } from '../errors.js';
import { appendLiveLines } from '../liveAppend.js';
import { SOURCE_NAME, takeBodiesAsBytes } from '../liveBody.js';
import { problemSchema } from '../schemas.js';

export interface IngestStreamDeps {
  db: Db;
  journal: LiveJournal;
}

/** A batch is whole lines of one file; `ship` sends at most 1 MiB (a longer line alone may be more). */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

const streamQuery = z.object({
  source: z.string().regex(SOURCE_NAME, 'must have 1–200 characters and no control characters')
    .describe('Where the lines come from (site, host, service): the records\' source'),
  stream: z.string().min(1).max(300).regex(/^[^\x00-\x1f]+$/, 'must not contain control characters')
    .describe('The followed file, named by the shipper so that the name survives its rotation (`ship` uses its host and the hash of the first line)'),
  offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
    .describe("Where the body's first byte is in the stream"),
});

const streamAnswer = z.object({
  stream: z.string(),
  acked_to: z.number().describe('The stream\'s bytes before this offset are stored (in the journal): the shipper goes on from here'),
  lines_stored: z.number().describe('Lines of this body taken now'),
  duplicate_bytes: z.number().describe('Bytes of this body that an earlier batch had already delivered, skipped'),
});

/**
 * Batches from `loginsights ship`: whole lines of a followed file, each batch naming its stream and
 * its byte offset in it. The server keeps, per stream, how far it has taken the bytes (live_streams);
 * a batch sent again — the shipper was stopped after the answer but before it saved its offset —
 * overlaps what is stored, and only the bytes past it are journaled. So a shipper that retries and
 * restarts stores each line once. Batches of one stream are taken one at a time.
 */
export function ingestStreamRoutes(deps: IngestStreamDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    takeBodiesAsBytes(app, MAX_BATCH_BYTES);

    /** The batch of each stream being taken; the next one of the stream waits for it. */
    const taking = new Map<string, Promise<unknown>>();
    const oneAtATime = async <T>(stream: string, work: () => Promise<T>): Promise<T> => {
      const before = taking.get(stream);
      const mine = (async () => {
        await before?.catch(() => undefined);
        return work();
      })();
      taking.set(stream, mine);
      try {
        return await mine;
      } finally {
        if (taking.get(stream) === mine) taking.delete(stream);
      }
    };

    app.post('/ingest/stream', {
      config: { access: 'ingest' },
      schema: {
        tags: ['live ingestion'],
        summary: 'Lines of a followed file, from `loginsights ship`',
        description:
          'The body is whole lines of the stream from byte `offset` on (text/plain or application/octet-stream, at most 16 MiB). '
          + 'Answered once the lines are on disk; bytes below the stream\'s `acked_to` were stored by an earlier batch and are '
          + 'skipped, so a batch sent twice is stored once. A batch that starts past `acked_to` is taken (the gap is what the '
          + 'shipper could not read: a file truncated before it was read, say). 429/503 with Retry-After: retry the same batch.',
        consumes: ['text/plain', 'application/octet-stream'],
        querystring: streamQuery,
        response: { 200: streamAnswer, 400: problemSchema, 413: problemSchema, 429: problemSchema, 503: problemSchema },
      },
    }, async (req) => {
      const { source, stream, offset } = req.query;
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      return oneAtATime(stream, async () => {
        const known = await deps.db.query<{ acked_to: string; source: string }>('SELECT acked_to::text, source FROM live_streams WHERE stream = $1', [stream]);
        const row = known.rows[0];
        if (row && row.source !== source) {
          throw AppError.badParam('stream', `stream ${stream} is of source ${row.source}, not ${source}`);
        }
        const ackedTo = row ? Number(row.acked_to) : 0;
        const end = offset + body.length;
        const skip = Math.max(0, Math.min(ackedTo, end) - offset);
        // What is stored ends at a line's end, and so does what this batch repeats of it; any other
        // overlap means the bytes are not the ones stored (another file under this stream's name).
        if (skip > 0 && skip < body.length && body[skip - 1] !== 0x0a) {
          throw AppError.badParam('offset', `the stream's stored bytes end at ${ackedTo}, inside a line of this batch: it is not the file they came from`);
        }
        const lines = fileLines(body.subarray(skip));
        if (lines.lines > 0) await appendLiveLines(deps.journal, 'ship', new Map([[source, lines]]), req.log);
        const newAcked = Math.max(ackedTo, end);
        await deps.db.query(
          `INSERT INTO live_streams (stream, source, acked_to) VALUES ($1, $2, $3)
           ON CONFLICT (stream) DO UPDATE SET acked_to = GREATEST(live_streams.acked_to, EXCLUDED.acked_to), last_seen = now()`,
          [stream, source, newAcked],
        );
        return { stream, acked_to: newAcked, lines_stored: lines.lines, duplicate_bytes: skip };
      });
    });
  };
}

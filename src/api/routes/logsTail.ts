import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { activeKeyIds } from '../../auth/apiKeys.js';
import { createTailMetrics, LogTail, TailFullError, type TailLogger } from '../../search/tail.js';
import { requestOwner } from '../auth.js';
import { AppError } from '../errors.js';
import { problemSchema, recordFilterFrom, recordFilterQuery } from '../schemas.js';
import type { ServerDeps } from '../server.js';

/** Open streams per process: each holds a socket and, per batch, a query. */
const MAX_SUBSCRIBERS = 100;
/** Open streams per API key, so that one key (or a leaked one) cannot take every slot of the process. */
const MAX_STREAMS_PER_KEY = 10;
const MAX_RECORDS_PER_BATCH = 500;
const HEARTBEAT_MS = 15_000;
/** A client that has read nothing for this long while its buffer is full loses its stream (and slot). */
const IDLE_MS = 60_000;
/** Keys of open streams are re-checked this often, so a revocation in another process ends them within 10 s. */
const KEY_RECHECK_MS = 5_000;

const DESCRIPTION = `Server-Sent Events (\`text/event-stream\`) over a plain GET, so a client can send its key in a header
(\`fetch()\` with a streaming body, \`curl -N\`). Streams the records that ingest batches commit after the stream opened,
in ingestion order whatever their timestamps, filtered as \`GET /logs\` filters (the same parameters, with the same meaning). Events:

- \`ready\`: the subscription is live; every batch committed from now on is streamed.
- \`record\`: \`data\` is one record, with the fields of a \`GET /logs\` item.
- \`dropped\`: \`data\` is \`{"dropped": N}\`: N matching records were not sent, because the client read too slowly
  (the server never queues more than a small buffer per stream) or a batch held more than ${MAX_RECORDS_PER_BATCH} matching records.
- \`gap\`: \`data\` is \`{"reason": …}\`: records may be missing and could not be counted (the database connection was lost).

- \`revoked\`: \`data\` is \`{"reason": …}\`: the key was revoked; the stream ends.

A comment line (\`: ping\`) every ${HEARTBEAT_MS / 1000} s keeps proxies from closing a quiet stream. At most ${MAX_STREAMS_PER_KEY} streams
per key (429 \`tail_limit\` beyond) and ${MAX_SUBSCRIBERS} per server process (503 beyond). A revoked key's streams end (within
${(2 * KEY_RECHECK_MS) / 1000} s when another process revoked it); a client that reads nothing for ${IDLE_MS / 1000} s while its stream's buffer is full
loses the stream.`;

/** The live tail of this process; the API's key revocation ends a key's streams through it. */
export function createLogTail(deps: ServerDeps, log: TailLogger): LogTail {
  return new LogTail(deps.db, {
    maxSubscribers: MAX_SUBSCRIBERS, maxPerOwner: MAX_STREAMS_PER_KEY, maxRecordsPerBatch: MAX_RECORDS_PER_BATCH,
    heartbeatMs: HEARTBEAT_MS, idleMs: IDLE_MS, keyRecheckMs: KEY_RECHECK_MS,
    activeKeys: (ids) => activeKeyIds(deps.db, ids),
    log, metrics: createTailMetrics(deps.registry),
  });
}

export function logTailRoutes(deps: ServerDeps & { tail: LogTail }): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const { tail } = deps;
    // preClose: before the server waits for open connections to finish, which a stream never would.
    app.addHook('preClose', async () => tail.close());

    app.get('/logs/tail', {
      // A stream lasts as long as the client wants: no answer deadline.
      config: { access: 'read', unbounded: true },
      schema: {
        tags: ['search'],
        summary: 'Live tail: newly ingested records matching the filters, as Server-Sent Events',
        description: DESCRIPTION,
        querystring: recordFilterQuery,
        response: {
          // The type provider knows JSON bodies only; meta carries the media type into the OpenAPI document.
          200: z.unknown().meta({
            description: 'The event stream (`ready`, then `record`, `dropped` and `gap` events)',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          }),
          400: problemSchema,
          429: problemSchema,
          503: problemSchema,
        },
      },
    }, async (req, reply) => {
      const { filter } = await recordFilterFrom(deps.db, req.query);
      let stream;
      try {
        stream = await tail.subscribe(filter, requestOwner(req));
      } catch (err) {
        if (err instanceof TailFullError && err.scope === 'owner') {
          throw new AppError(429, 'tail_limit', `${err.message} (at most ${MAX_STREAMS_PER_KEY} per key)`, { headers: { 'retry-after': '30' } });
        }
        if (err instanceof TailFullError) throw new AppError(503, 'tail_unavailable', err.message, { headers: { 'retry-after': '30' } });
        throw err;
      }
      // Sent through reply.send, not hijacked: the hooks still add the security and CORS headers.
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-accel-buffering', 'no') // nginx: pass each event on at once
        // A stream ends only at shutdown, revocation or idleness: its socket goes with it rather than idling in keep-alive.
        .header('connection', 'close')
        .send(stream);
    });
  };
}

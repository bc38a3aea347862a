import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createTailMetrics, LogTail, TailFullError } from '../../search/tail.js';
import { AppError } from '../errors.js';
import { logFilterQuery, problemSchema, toLogFilters } from '../schemas.js';
import type { ServerDeps } from '../server.js';

/** Open streams per process: each holds a socket and, per batch, a query. */
const MAX_SUBSCRIBERS = 100;
const MAX_RECORDS_PER_BATCH = 500;
const HEARTBEAT_MS = 15_000;

const DESCRIPTION = `Server-Sent Events (\`text/event-stream\`) over a plain GET, so a client can send its key in a header
(\`fetch()\` with a streaming body, \`curl -N\`). Streams the records that ingest batches commit after the stream opened,
in ingestion order whatever their timestamps, filtered as \`GET /logs\` filters. Events:

- \`ready\`: the subscription is live; every batch committed from now on is streamed.
- \`record\`: \`data\` is one record, with the fields of a \`GET /logs\` item.
- \`dropped\`: \`data\` is \`{"dropped": N}\`: N matching records were not sent, because the client read too slowly
  (the server never queues more than a small buffer per stream) or a batch held more than ${MAX_RECORDS_PER_BATCH} matching records.
- \`gap\`: \`data\` is \`{"reason": …}\`: records may be missing and could not be counted (the database connection was lost).

A comment line (\`: ping\`) every ${HEARTBEAT_MS / 1000} s keeps proxies from closing a quiet stream. At most ${MAX_SUBSCRIBERS} streams per server process (503 beyond).`;

export function logTailRoutes(deps: ServerDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tail = new LogTail(deps.db, {
      maxSubscribers: MAX_SUBSCRIBERS, maxRecordsPerBatch: MAX_RECORDS_PER_BATCH, heartbeatMs: HEARTBEAT_MS,
      log: app.log, metrics: createTailMetrics(deps.registry),
    });
    // preClose: before the server waits for open connections to finish, which a stream never would.
    app.addHook('preClose', async () => tail.close());

    app.get('/logs/tail', {
      // A stream lasts as long as the client wants: no answer deadline.
      config: { access: 'read', unbounded: true },
      schema: {
        tags: ['search'],
        summary: 'Live tail: newly ingested records matching the filters, as Server-Sent Events',
        description: DESCRIPTION,
        querystring: logFilterQuery,
        response: {
          // The type provider knows JSON bodies only; meta carries the media type into the OpenAPI document.
          200: z.unknown().meta({
            description: 'The event stream (`ready`, then `record`, `dropped` and `gap` events)',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          }),
          400: problemSchema,
          503: problemSchema,
        },
      },
    }, async (req, reply) => {
      const filters = toLogFilters(req.query);
      let stream;
      try {
        stream = await tail.subscribe(filters);
      } catch (err) {
        if (err instanceof TailFullError) throw new AppError(503, 'tail_unavailable', err.message, { headers: { 'retry-after': '30' } });
        throw err;
      }
      // Sent through reply.send, not hijacked: the hooks still add the security and CORS headers.
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-accel-buffering', 'no') // nginx: pass each event on at once
        // A stream ends only at shutdown: its socket goes with it rather than idling in keep-alive.
        .header('connection', 'close')
        .send(stream);
    });
  };
}

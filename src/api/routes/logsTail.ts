import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { activeKeyIds } from '../../auth/apiKeys.js';
import type { RecordFilter } from '../../query/recordFilter.js';
import { createTailMetrics, LogTail, sseWire, TailFullError, type TailLogger, type TailOwner, type TailWire } from '../../search/tail.js';
import { requestOwner, type AuthControl } from '../auth.js';
import { AppError } from '../errors.js';
import { problemSchema, recordFilterFrom, recordFilterQuery } from '../schemas.js';
import type { ServerDeps } from '../server.js';
import { KEY_MESSAGE_TIMEOUT_MS, originAllowed, tailSocketHandler } from '../tailWebSocket.js';

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
/** The largest message a client may send (the key message); a tail client has nothing else to say. */
const MAX_CLIENT_MESSAGE_BYTES = 4096;
/**
 * A socket handed over as an upgrade that is answered with plain HTTP instead (refused, or another
 * route) is no longer Node's to close: past this idle time it is. ws clears the timeout once it upgrades.
 */
const UPGRADE_IDLE_MS = 60_000;

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
loses the stream.

**WebSocket**: the same URL with \`Upgrade: websocket\` opens the same stream as a WebSocket: the same parameters (a bad one is a
400 before the upgrade), one JSON text message per event: \`{"type":"ready"}\`, \`{"type":"record","record":{…}}\`,
\`{"type":"dropped","dropped":N}\`, \`{"type":"gap","reason":…}\`, \`{"type":"revoked","reason":…}\`, with the same buffer per
client and the same limits (429/503 before the upgrade). Ping frames replace the comment line. The key goes in a header as above or,
where headers cannot be set (a browser), as the first message \`{"type":"auth","key":"<key>"}\` within ${KEY_MESSAGE_TIMEOUT_MS / 1000} s; never
in the URL (400 \`key_in_url\`). After the upgrade a refusal is a close code, 4000 + the HTTP status it would have had, with a reason:
4401 (no valid key, or the key was revoked), 4403 (no \`read\` scope), 4429 (too many streams for the key, or failed
authentications), 4503; 1001 when the server shuts down. A page of another origin than this service's (or CORS_ORIGINS) is refused (403).`;

/** The live tail of this process; the API's key revocation ends a key's streams through it. */
export function createLogTail(deps: ServerDeps, log: TailLogger): LogTail {
  return new LogTail(deps.db, {
    maxSubscribers: MAX_SUBSCRIBERS, maxPerOwner: MAX_STREAMS_PER_KEY, maxRecordsPerBatch: MAX_RECORDS_PER_BATCH,
    heartbeatMs: HEARTBEAT_MS, idleMs: IDLE_MS, keyRecheckMs: KEY_RECHECK_MS,
    activeKeys: (ids) => activeKeyIds(deps.db, ids),
    log, metrics: createTailMetrics(deps.registry),
  });
}

/** The answer a request gets when no stream may open now: 429 when its key holds too many, 503 when the server does. */
function tailFullAnswer(err: unknown): unknown {
  if (err instanceof TailFullError && err.scope === 'owner') {
    return new AppError(429, 'tail_limit', `${err.message} (at most ${MAX_STREAMS_PER_KEY} per key)`, { headers: { 'retry-after': '30' } });
  }
  if (err instanceof TailFullError) return new AppError(503, 'tail_unavailable', err.message, { headers: { 'retry-after': '30' } });
  return err;
}

export function logTailRoutes(deps: ServerDeps & { tail: LogTail; auth: Pick<AuthControl, 'authenticate'> }): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const { tail } = deps;
    // preClose: before the server waits for open connections to finish, which a stream never would. Before
    // the WebSocket plugin's own, so that open WebSocket streams close with 1001.
    app.addHook('preClose', async () => tail.close());
    // In this plugin, not on the root: its hooks then wrap this route only. Its 'upgrade' listener is the
    // server's, so an upgrade request to another route is answered as a plain request.
    await app.register(fastifyWebsocket, {
      options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES },
      // A client that vanishes mid-stream is not a server error.
      errorHandler: (err, socket, req) => {
        req.log.info({ err: err.message }, 'live tail WebSocket: connection error');
        socket.terminate();
      },
    });
    const closeIdleUpgrade = (_req: IncomingMessage, socket: Duplex): void => {
      if (socket instanceof Socket) socket.setTimeout(UPGRADE_IDLE_MS, () => socket.destroy());
    };
    app.server.on('upgrade', closeIdleUpgrade);
    app.addHook('onClose', async () => void app.server.off('upgrade', closeIdleUpgrade));

    const subscribe = async (filter: RecordFilter, owner: TailOwner, wire: TailWire): Promise<void> => {
      try {
        await tail.subscribe(filter, owner, wire);
      } catch (err) {
        throw tailFullAnswer(err);
      }
    };
    const serveSocket = tailSocketHandler({ auth: deps.auth, authDisabled: deps.config.authDisabled, subscribe });
    // Worked out before the handler, so that a WebSocket's bad parameter is an HTTP 400 rather than a close after the upgrade.
    const filters = new WeakMap<FastifyRequest, RecordFilter>();
    const filterOf = (req: FastifyRequest): RecordFilter => {
      const filter = filters.get(req);
      if (!filter) throw new Error('the live tail filter was not worked out before the handler');
      return filter;
    };

    app.route({
      method: 'GET',
      url: '/logs/tail',
      // A stream lasts as long as the client wants: no answer deadline.
      config: { access: 'read', unbounded: true, keyInFirstMessage: true },
      schema: {
        tags: ['search'],
        summary: 'Live tail: newly ingested records matching the filters, as Server-Sent Events or a WebSocket',
        description: DESCRIPTION,
        querystring: recordFilterQuery,
        response: {
          101: z.unknown().meta({ description: 'Switching Protocols: the stream as a WebSocket (a request with `Upgrade: websocket`)' }),
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
      preHandler: async (req) => {
        filters.set(req, (await recordFilterFrom(deps.db, req.query)).filter);
        if (!req.ws) return;
        if (!originAllowed(req.headers.origin, req.host, deps.config.corsOrigins)) {
          throw new AppError(403, 'origin_not_allowed', 'a WebSocket is accepted from a page of this service, or of an origin in CORS_ORIGINS');
        }
        // Asked before the upgrade, so that a full server (or key) is a 503 (429) a client can read; a key sent as a message is counted after it.
        try {
          tail.checkRoom(req.apiKey || deps.config.authDisabled ? requestOwner(req) : undefined);
        } catch (err) {
          throw tailFullAnswer(err);
        }
      },
      // An upgrade request answered with HTTP (refused) leaves a socket Node no longer parses: closed once
      // the answer is out. (@fastify/websocket does so only for answers after its own hook, not for a 401 before it.)
      onResponse: async (req) => {
        if ((req.raw as { upgrade?: boolean }).upgrade === true) req.raw.socket.destroy();
      },
      wsHandler: (socket, req) => serveSocket(socket, req, filterOf(req)),
      handler: async (req, reply) => {
        const wire = sseWire();
        await subscribe(filterOf(req), requestOwner(req), wire);
        // Sent through reply.send, not hijacked: the hooks still add the security and CORS headers.
        return reply
          .header('content-type', 'text/event-stream; charset=utf-8')
          .header('cache-control', 'no-store')
          .header('x-accel-buffering', 'no') // nginx: pass each event on at once
          // A stream ends only at shutdown, revocation or idleness: its socket goes with it rather than idling in keep-alive.
          .header('connection', 'close')
          .send(wire.stream);
      },
    });
  };
}

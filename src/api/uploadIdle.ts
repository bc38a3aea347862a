import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SpoolError } from '../ingest/spool.js';

/**
 * Aborts `signal` when the upload's connection receives nothing for `idleMs` while the request body
 * is still coming (UPLOAD_IDLE_TIMEOUT_MS): a client that stops sending would otherwise hold its
 * upload slot, socket and half-written spool file forever. The socket's own timeout measures it
 * (no timer per chunk); with a listener on the request and the response, Node leaves the socket
 * open, so the 408 can still be sent. stop() once the body is in; inject() requests have no socket
 * and are never idle.
 */
export function watchUploadIdle(req: FastifyRequest, reply: FastifyReply, idleMs: number): { signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
  const socket = req.raw.socket as Socket | null;
  const res = reply.raw;
  if (typeof socket?.setTimeout !== 'function') return { signal: controller.signal, stop: () => undefined };
  const onTimeout = (): void => {
    // Body complete: the time goes to spooling or the database, not to a silent client.
    if (req.raw.complete) return;
    controller.abort(new SpoolError('idle_timeout', `the upload sent no bytes for ${idleMs} ms (UPLOAD_IDLE_TIMEOUT_MS); send it again`));
  };
  req.raw.on('timeout', onTimeout);
  res.on('timeout', onTimeout);
  socket.setTimeout(idleMs);
  return {
    signal: controller.signal,
    stop: () => {
      req.raw.off('timeout', onTimeout);
      res.off('timeout', onTimeout);
      // Back to the server's own idle timeout for the next request on this connection.
      socket.setTimeout(req.server.server.timeout);
    },
  };
}

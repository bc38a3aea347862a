import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendProblem } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route streams for as long as it takes (uploads): no answer deadline. */
    unbounded?: boolean;
  }
}

/**
 * Answers 504 problem+json when a request has not been answered within its deadline, rather than
 * leaving the socket hanging. On PostgreSQL statement_timeout cancels the query first (also a 504);
 * PGlite has no statement_timeout (its one WASM backend cannot be interrupted), so there the query
 * runs on and its late answer is dropped, while the client has its answer on time. A request waiting
 * for a pool connection is covered the same way.
 */
export function installDeadline(app: FastifyInstance, deadlineMs: number): void {
  app.addHook('onRequest', (req, reply, done) => {
    if (req.routeOptions.config.unbounded || req.routeOptions.config.access === undefined) {
      done();
      return;
    }
    const timer = setTimeout(() => {
      if (reply.sent) return;
      req.log.warn({ url: req.url.split('?')[0], deadlineMs }, 'request deadline passed: answered 504');
      void sendProblem(reply, req, {
        status: 504, code: 'query_timeout',
        detail: `no answer within ${deadlineMs} ms (QUERY_TIMEOUT_MS); narrow the time range or filters, or retry when the service is less busy`,
      });
      // The handler's late result is dropped quietly (Fastify ignores what a hijacked reply's handler returns).
      reply.hijack();
    }, deadlineMs);
    timer.unref();
    reply.raw.once('close', () => clearTimeout(timer));
    done();
  });
}

/**
 * A signal that fires once the request's answer can no longer reach anyone: the client went away,
 * or the deadline above answered 504. A handler that works in steps (a backtest) stops there instead
 * of running on for nobody, holding the database.
 */
export function abandonedSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // 'close' also follows a normal answer; by then the handler has finished and nothing listens.
  reply.raw.once('close', () => controller.abort());
  return controller.signal;
}

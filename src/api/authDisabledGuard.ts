import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

/** Host names that reach only this machine: a browser sends one of these only to a page it loaded from here. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);
/** Listen addresses that take connections on every interface. */
const ANY_ADDRESS = new Set(['0.0.0.0', '::', '[::]']);
/** Content types a page of any origin may POST without asking first (the Fetch standard's CORS-safelisted ones). */
const SIMPLE_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);
/** The header that makes a request non-simple: a page of another origin cannot send it without a preflight. */
export const REQUESTED_BY_HEADER = 'x-requested-by';

/** Whether the listen address takes connections from every interface (then any Host is accepted). */
export function listensEverywhere(host: string): boolean {
  return ANY_ADDRESS.has(host);
}

/** The name of a Host header, without port or IPv6 brackets, lower case; undefined when it is not one. */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\[([0-9a-f:.]+)\](?::\d+)?$/i.exec(header) ?? /^([^:[\]]+)(?::\d+)?$/.exec(header);
  return m?.[1]?.toLowerCase();
}

/**
 * With AUTH_DISABLED every request is served as admin, so the browser's same-origin rules are all
 * that keeps other web pages out. Two holes are closed here:
 * - DNS rebinding: a page of evil.example re-resolves its own name to 127.0.0.1 and reads the API as
 *   same-origin. Its requests still say `Host: evil.example`, so only loopback names are accepted
 *   (and HOST itself when it is a specific non-loopback address; HOST=0.0.0.0 or :: accepts any, with
 *   a warning at start).
 * - Cross-site POSTs: a page may send a "simple" request (a form, or fetch with text/plain) to any
 *   origin without a preflight, and the upload route would take it. A POST must therefore carry a
 *   non-simple content type (application/octet-stream, application/gzip, application/json) or an
 *   X-Requested-By header, which no page can add to a cross-origin request without a preflight that
 *   CORS refuses.
 * With auth on, neither is needed: a key is required, and a page cannot read it or add it to a request.
 */
export function installAuthDisabledGuard(app: FastifyInstance, opts: { host: string }): void {
  const listen = hostName(opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host);
  const anyHost = listensEverywhere(opts.host);
  const allowed = new Set([...LOOPBACK_NAMES, ...(listen ? [listen] : [])]);

  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (!anyHost) {
      const name = hostName(req.headers.host);
      if (name === undefined || !allowed.has(name)) {
        throw new AppError(403, 'host_not_allowed',
          `with AUTH_DISABLED this service answers only requests addressed to ${[...allowed].join(', ')} (any port); ` +
          `Host '${String(req.headers.host ?? '').slice(0, 100)}' is refused, since a web page could reach this service through DNS rebinding. ` +
          'Use one of those names, or turn authentication on');
      }
    }
    if (req.method === 'POST' && req.headers[REQUESTED_BY_HEADER] === undefined) {
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type === '' || SIMPLE_CONTENT_TYPES.has(type)) {
        throw new AppError(403, 'simple_request_refused',
          `with AUTH_DISABLED a POST ${type ? `of ${type}` : 'without a content type'} could come from any web page: ` +
          'add the header X-Requested-By (any value), or send the body as application/octet-stream (an upload) or application/json');
      }
    }
  });
}


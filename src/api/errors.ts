import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { isRetryableDbError } from '../db/retry.js';

export interface InvalidParam {
  name: string;
  reason: string;
}

/** The one error type routes throw; the error handler turns it into RFC 9457 problem+json. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { invalidParams?: InvalidParam[]; headers?: Record<string, string> } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  static badParam(name: string, reason: string): AppError {
    return new AppError(400, 'invalid_parameter', `${name}: ${reason}`, { invalidParams: [{ name, reason }] });
  }

  static notFound(what: string): AppError {
    return new AppError(404, 'not_found', `${what} not found`);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 408: 'Request Timeout', 409: 'Conflict', 413: 'Content Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 507: 'Insufficient Storage',
};

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  invalid_params?: InvalidParam[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A route of a protocol with its own error shape (Elasticsearch's `_bulk`): its errors, the 401 of a
     * missing key included, are sent in that shape instead of problem+json.
     */
    protocolError?: (p: { status: number; code: string; detail: string }) => { contentType: string; body: unknown };
  }
}

export function sendProblem(reply: FastifyReply, req: FastifyRequest, p: Omit<Problem, 'type' | 'title' | 'instance'>): FastifyReply {
  const shape = req.routeOptions.config.protocolError;
  if (shape) {
    const { contentType, body } = shape(p);
    return reply.code(p.status).type(contentType).send(body);
  }
  const body: Problem = {
    type: `https://loginsights.dev/problems/${p.code}`,
    title: TITLES[p.status] ?? 'Error',
    instance: req.url.split('?')[0] ?? req.url,
    ...p,
  };
  return reply.code(p.status).type('application/problem+json').send(body);
}

/** Zod issue path from a Fastify validation error: `/status_code` in querystring → `status_code`. */
function validationParams(err: FastifyError): InvalidParam[] {
  return (err.validation ?? []).map((v) => {
    const fromPath = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
    return { name: fromPath || missing || err.validationContext || 'request', reason: v.message ?? 'invalid' };
  });
}

const PG_QUERY_CANCELED = '57014';

/** The single error handler: everything leaves as problem+json, with no internals for a 5xx. */
export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof AppError) {
    if (err.extra.headers) void reply.headers(err.extra.headers);
    return sendProblem(reply, req, {
      status: err.status, code: err.code, detail: err.message,
      ...(err.extra.invalidParams ? { invalid_params: err.extra.invalidParams } : {}),
    });
  }
  if (hasZodFastifySchemaValidationErrors(err) || err.validation) {
    const params = validationParams(err);
    const detail = params.map((p) => `${p.name}: ${p.reason}`).join('; ');
    return sendProblem(reply, req, { status: 400, code: 'invalid_parameter', detail, invalid_params: params });
  }
  if ((err as { code?: string }).code === PG_QUERY_CANCELED) {
    return sendProblem(reply, req, { status: 504, code: 'query_timeout', detail: 'the query took longer than the configured query time limit; narrow the time range or filters' });
  }
  // The client went away while its body was read (Node's 'aborted', ECONNRESET): not the database's
  // doing, though its code is one a lost database connection has too. Nobody is left to read the answer.
  if ((err as { code?: string }).code === 'ECONNRESET' && req.raw.socket?.destroyed === true) {
    req.log.info({ err: err.message }, 'the client closed the connection before its request was read');
    return sendProblem(reply, req, { status: 400, code: 'client_closed_request', detail: 'the connection closed before the request was read' });
  }
  if (isRetryableDbError(err)) {
    req.log.warn({ err }, 'database unavailable');
    void reply.header('retry-after', '5');
    return sendProblem(reply, req, { status: 503, code: 'database_unavailable', detail: 'the database is not reachable right now; retry shortly' });
  }
  if (isResponseSerializationError(err)) {
    req.log.error({ err }, 'response did not match its schema');
    return sendProblem(reply, req, { status: 500, code: 'internal_error', detail: 'internal error' });
  }
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status === 500) {
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, req, { status, code: 'internal_error', detail: 'internal error' });
  }
  // Fastify's own 4xx (bad JSON, unsupported media type, body too large …) carry safe messages.
  return sendProblem(reply, req, { status, code: (err.code ?? 'bad_request').toLowerCase(), detail: err.message });
}

import { STATUS_CODES } from 'node:http';
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteAccess } from './auth.js';
import { problemSchema } from './schemas.js';

/**
 * What every route's OpenAPI entry says without the route repeating it, added in one place as the
 * document is generated (the `transform` of @fastify/swagger, around fastify-type-provider-zod's own):
 * - who may call it: public routes carry `security: []`, so Swagger UI sends them no key; every other
 *   route answers 401 (no valid key), 403 (a key without the route's scope) and 429 (src/api/auth.ts,
 *   the rate limit in src/api/server.ts), and documents all three;
 * - every problem answer as `application/problem+json`, the type errorHandler sends (src/api/errors.ts);
 * - a body the route reads as a stream itself (it declares `consumes` but no `body`, so Fastify validates
 *   nothing): a file, as the raw body or as the multipart part `file` with the querystring's options.
 */

type Responses = Record<string, unknown>;
type JsonSchema = { properties?: Record<string, unknown>; required?: string[] } & Record<string, unknown>;

const KEY_ANSWERS = {
  401: 'No valid API key (Authorization: Bearer <key> or X-API-Key); the same answer for a missing, unknown or revoked key',
  403: (access: string) => `The key does not hold the \`${access}\` scope (an \`admin\` key holds every scope)`,
  429: 'Too many requests: with this key per minute (RATE_LIMIT_PER_MINUTE), failed authentications from this address ' +
    '(AUTH_FAILURES_PER_MINUTE), or a limit of the operation itself; Retry-After says when to try again',
};

const FILE = { type: 'string', format: 'binary' };

/** Every problem answer refers to this one schema (documentComponents below). */
const PROBLEM = { $ref: '#/components/schemas/Problem' };

/** A request body for a route that parses its own stream; undefined when it declares no content types. */
function streamedBody(consumes: unknown, query: JsonSchema | undefined): unknown {
  if (!Array.isArray(consumes) || consumes.length === 0) return undefined;
  const content: Record<string, { schema: unknown }> = {};
  for (const type of consumes as string[]) {
    if (type === 'multipart/form-data') {
      // The file last: the route spools the file part as it arrives, so options after it are not read.
      const options = query?.properties ?? {};
      content[type] = {
        schema: {
          type: 'object',
          properties: { ...options, file: { ...FILE, description: 'The log file, plain text or gzip; option fields go before it' } },
          required: ['file'],
        },
      };
    } else content[type] = { schema: type.startsWith('text/') ? { type: 'string' } : FILE };
  }
  return { content };
}

export const documentRoute: SwaggerTransform = (input) => {
  const access: RouteAccess | undefined = input.route.config?.access;
  // Typed as always present, but a route may have no schema at all.
  const declared = input.schema as FastifySchema | undefined;
  const keyed = access !== undefined && access !== 'public';
  const own = (declared?.response ?? {}) as Responses;
  const response: Responses = keyed ? { 401: problemSchema, 403: problemSchema, 429: problemSchema, ...own } : own;
  const withKeyAnswers = declared?.response || keyed ? { ...declared, response } : declared;
  const { schema, url } = jsonSchemaTransform({ ...input, schema: withKeyAnswers as FastifySchema });
  if (!(schema as FastifySchema | undefined) || (schema as { hide?: boolean }).hide) return { schema, url };

  const documented: Record<string, unknown> = { ...schema };
  if (!keyed) documented.security = [];
  const converted = schema.response as Responses | undefined;
  if (converted) {
    documented.response = Object.fromEntries(Object.entries(converted).map(([status, answer]) => {
      if (response[status] !== problemSchema) return [status, answer];
      const description = status === '401' ? KEY_ANSWERS[401] : status === '403' ? KEY_ANSWERS[403](String(access))
        : status === '429' ? KEY_ANSWERS[429] : `${STATUS_CODES[status] ?? status}: RFC 9457 problem details`;
      return [status, { description, content: { 'application/problem+json': { schema: PROBLEM } } }];
    }));
  }
  if (!schema.body) {
    const body = streamedBody(schema.consumes, schema.querystring as JsonSchema | undefined);
    if (body) documented.body = body;
  }
  return { schema: documented, url };
};

/** Adds the schema every problem answer refers to, as `components.schemas.Problem`. */
export const documentComponents: SwaggerTransformObject = (input) => {
  if (!('openapiObject' in input)) throw new Error('only OpenAPI 3 documents are generated');
  const doc = input.openapiObject;
  const Problem = z.toJSONSchema(problemSchema, { target: 'openapi-3.0', io: 'output' });
  return { ...doc, components: { ...doc.components, schemas: { ...doc.components?.schemas, Problem } } } as typeof doc;
};

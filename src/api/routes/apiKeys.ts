import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createKey, listKeys, revokeKey } from '../../auth/apiKeys.js';
import { SCOPES } from '../../domain/scopes.js';
import { AppError } from '../errors.js';
import { problemSchema } from '../schemas.js';
import type { ServerDeps } from '../server.js';

const apiKey = z.object({
  id: z.number(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, to recognise it'),
  scopes: z.array(z.enum(SCOPES)),
  created_at: z.string(),
  last_used_at: z.string().nullable().describe('Within a minute'),
});

const newKey = z.object({
  name: z.string().trim().min(1).max(200).regex(/^[^\x00-\x1f]+$/, 'must not contain control characters'),
  scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length).transform((s) => [...new Set(s)]),
}).strict();

/** API keys: created with the clear key shown once, listed by prefix, revoked. */
export function apiKeyRoutes(deps: ServerDeps & { onKeyRevoked: (id: number) => void }): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const config = { access: 'admin' as const };

    app.post('/auth/keys', {
      config,
      schema: {
        tags: ['auth'],
        summary: 'Create an API key',
        description: 'Scopes: `ingest` (upload, job status), `read` (search, analytics, alert history), `admin` (everything). ' +
          'The answer holds the clear `key` this once; only its hash is kept.',
        body: newKey,
        response: { 201: apiKey.extend({ key: z.string() }), 400: problemSchema },
      },
    }, async (req, reply) => {
      const { key, apiKey: created } = await createKey(deps.db, req.body.name, req.body.scopes);
      return reply.code(201).header('cache-control', 'no-store').send({ ...created, key });
    });

    app.get('/auth/keys', {
      config,
      schema: { tags: ['auth'], summary: 'Active API keys (never the keys themselves)', response: { 200: z.object({ items: z.array(apiKey) }) } },
    }, async () => ({ items: await listKeys(deps.db) }));

    app.delete('/auth/keys/:id', {
      config,
      schema: {
        tags: ['auth'],
        summary: 'Revoke an API key',
        description: 'Takes effect at once in this process and within 10 s in others; the key\'s live tails end too. The last admin key cannot be revoked (409).',
        params: z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('The key id (not the key), as GET /auth/keys lists it') }),
        response: { 204: z.null(), 404: problemSchema, 409: problemSchema },
      },
    }, async (req, reply) => {
      const result = await revokeKey(deps.db, req.params.id);
      if (result === 'not_found') throw AppError.notFound(`API key ${req.params.id}`);
      if (result === 'last_admin_key') {
        throw new AppError(409, 'last_admin_key', 'this is the last admin key; create another admin key before revoking it');
      }
      deps.onKeyRevoked(req.params.id);
      return reply.code(204).send(null);
    });
  };
}

import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createSilence, expireSilence, listSilences, silenceSchema } from '../../alerts/silences.js';
import { AppError } from '../errors.js';
import { problemSchema } from '../schemas.js';
import type { ServerDeps } from '../server.js';

export const storedSilence = z.object({
  id: z.number(), rule_id: z.number().nullable(), severity: z.string().nullable(), labels: z.record(z.string(), z.string()),
  starts_at: z.string(), ends_at: z.string(), comment: z.string(), created_at: z.string(),
});

/** Silences: matching episodes are recorded, marked silenced, and not notified. */
export function alertSilenceRoutes(deps: ServerDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.post('/alerts/silences', {
      config: { access: 'admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Silence matching rules for a while',
        description: 'Matchers: `rule_id`, `severity`, `labels` (every one given must match); `starts_at` (default now) to `ends_at`, wall time.',
        body: silenceSchema,
        response: { 201: storedSilence, 400: problemSchema },
      },
    }, async (req, reply) => reply.code(201).send(await createSilence(deps.db, req.body, Date.now())));

    app.get('/alerts/silences', {
      config: { access: 'admin' },
      schema: { tags: ['alerts'], summary: 'Silences in force or ahead', response: { 200: z.object({ items: z.array(storedSilence) }) } },
    }, async () => ({ items: await listSilences(deps.db, Date.now()) }));

    app.delete('/alerts/silences/:id', {
      config: { access: 'admin' },
      schema: {
        tags: ['alerts'], summary: 'End a silence now', params: z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('The silence id') }),
        response: { 204: z.null(), 404: problemSchema },
      },
    }, async (req, reply) => {
      if (!(await expireSilence(deps.db, req.params.id, Date.now()))) throw AppError.notFound(`silence ${req.params.id} (in force or ahead)`);
      return reply.code(204).send(null);
    });
  };
}

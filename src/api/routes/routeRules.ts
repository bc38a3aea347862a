import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addRouteRule, deleteRouteRule, listRouteRules } from '../../ingest/routeRules.js';
import { RouteRuleError, validateRouteRule } from '../../parse/routes.js';
import { AppError } from '../errors.js';
import { problemSchema } from '../schemas.js';
import type { ServerDeps } from '../server.js';

const routeRuleBody = z.object({
  pattern: z.string().min(1).max(300).describe('Path glob: `*` within a segment, `**` as the last segment for the rest (e.g. `/blog/*`)'),
  template: z.string().min(1).max(300).describe('The route given to matching paths (e.g. `/blog/{slug}`)'),
});
const storedRule = routeRuleBody.extend({ id: z.number(), position: z.number(), created_at: z.string() });

/** User route rules: tried in order before the built-in normalisation of request paths. */
export function routeRuleRoutes(deps: ServerDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get('/analytics/route-rules', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'Route rules, in the order they are tried (before the built-in normalisation)',
        response: { 200: z.object({ items: z.array(storedRule) }) },
      },
    }, async () => ({ items: await listRouteRules(deps.db) }));

    app.post('/analytics/route-rules', {
      config: { access: 'admin' },
      schema: {
        tags: ['analytics'],
        summary: 'Add a route rule',
        description: 'Applies to jobs that start after it; `loginsights routes rebuild` applies it to stored records.',
        body: routeRuleBody,
        response: { 201: storedRule, 400: problemSchema, 409: problemSchema },
      },
    }, async (req, reply) => {
      try {
        validateRouteRule(req.body);
      } catch (err) {
        if (err instanceof RouteRuleError) throw AppError.badParam(err.message.startsWith('template') ? 'template' : 'pattern', err.message);
        throw err;
      }
      const rule = await addRouteRule(deps.db, req.body);
      if (!rule) throw new AppError(409, 'conflict', `a rule for pattern '${req.body.pattern}' exists`);
      return reply.code(201).send(rule);
    });

    app.delete('/analytics/route-rules/:id', {
      config: { access: 'admin' },
      schema: {
        tags: ['analytics'],
        summary: 'Delete a route rule',
        params: z.object({ id: z.coerce.number().int().positive().describe('The route rule id') }),
        response: { 204: z.null(), 404: problemSchema },
      },
    }, async (req, reply) => {
      if (!(await deleteRouteRule(deps.db, req.params.id))) throw AppError.notFound(`route rule ${req.params.id}`);
      return reply.code(204).send(null);
    });
  };
}

import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ruleSchema, storedRuleSchema, type Rule } from '../../alerts/rule.js';
import { createRule, deleteRule, getRule, listRules, replaceRule } from '../../alerts/ruleStore.js';
import { AppError } from '../errors.js';
import { problemSchema } from '../schemas.js';
import type { ServerDeps } from '../server.js';

const idParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/**
 * RFC 7396 JSON merge patch: objects merge key by key, `null` removes a key, anything else
 * replaces. `filter` and `labels` therefore change one key at a time; `notify` is replaced whole.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A merged rule validated as a new one would be; a mistake is a 400 naming its field. */
function validRule(body: unknown): Rule {
  const res = ruleSchema.safeParse(body);
  if (res.success) return res.data;
  const invalidParams = res.error.issues.map((i) => ({ name: i.path.join('.') || 'body', reason: i.message }));
  throw new AppError(400, 'invalid_parameter', invalidParams.map((p) => `${p.name}: ${p.reason}`).join('; '), { invalidParams });
}

/** Alert rules: create, list, read, replace, patch, delete. */
export function alertRuleRoutes(deps: ServerDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const found = async (id: number) => (await getRule(deps.db, id)) ?? Promise.reject(AppError.notFound(`alert rule ${id}`));

    app.post('/alerts/rules', {
      schema: {
        tags: ['alerts'],
        summary: 'Create an alert rule',
        description: 'E.g. `{"name": "Too many 500s", "kind": "count", "filter": {"status_code": "500"}, "operator": ">", "threshold": 50, "window": "5m", "severity": "critical"}`.',
        body: ruleSchema,
        response: { 201: storedRuleSchema, 400: problemSchema },
      },
    }, async (req, reply) => reply.code(201).send(await createRule(deps.db, req.body)));

    app.get('/alerts/rules', {
      schema: { tags: ['alerts'], summary: 'Every alert rule, oldest first', response: { 200: z.object({ items: z.array(storedRuleSchema) }) } },
    }, async () => ({ items: await listRules(deps.db) }));

    app.get('/alerts/rules/:id', {
      schema: { tags: ['alerts'], summary: 'One alert rule', params: idParams, response: { 200: storedRuleSchema, 404: problemSchema } },
    }, async (req) => found(req.params.id));

    app.put('/alerts/rules/:id', {
      schema: {
        tags: ['alerts'], summary: 'Replace an alert rule', params: idParams, body: ruleSchema,
        response: { 200: storedRuleSchema, 400: problemSchema, 404: problemSchema },
      },
    }, async (req) => (await replaceRule(deps.db, req.params.id, req.body)) ?? Promise.reject(AppError.notFound(`alert rule ${req.params.id}`)));

    app.patch('/alerts/rules/:id', {
      schema: {
        tags: ['alerts'],
        summary: 'Change some fields of an alert rule (JSON merge patch, RFC 7396)',
        description: 'Objects merge key by key (`{"filter": {"source": "web"}}` adds a source filter), `null` removes a key, lists are replaced. The result is validated as a new rule would be.',
        params: idParams,
        body: z.record(z.string(), z.unknown()),
        response: { 200: storedRuleSchema, 400: problemSchema, 404: problemSchema },
      },
    }, async (req) => {
      const { id, created_at: _c, updated_at: _u, ...current } = await found(req.params.id);
      const rule = validRule(mergePatch(current, req.body));
      return (await replaceRule(deps.db, id, rule)) ?? Promise.reject(AppError.notFound(`alert rule ${id}`));
    });

    app.delete('/alerts/rules/:id', {
      schema: { tags: ['alerts'], summary: 'Delete an alert rule', params: idParams, response: { 204: z.null(), 404: problemSchema } },
    }, async (req, reply) => {
      if (!(await deleteRule(deps.db, req.params.id))) throw AppError.notFound(`alert rule ${req.params.id}`);
      return reply.code(204).send(null);
    });
  };
}

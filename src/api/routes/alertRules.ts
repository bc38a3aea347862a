import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { backtest, BacktestError } from '../../alerts/backtest.js';
import { enqueueTest } from '../../alerts/notifications.js';
import { loadedRule, newRuleSchema, ruleSchema, storedRuleSchema, type LoadedRule, type Rule } from '../../alerts/rule.js';
import { listRuleStates } from '../../alerts/ruleStates.js';
import { createRule, deleteRule, getRule, listRules, replaceRule } from '../../alerts/ruleStore.js';
import type { Episode } from '../../alerts/stateMachine.js';
import type { Db } from '../../db/db.js';
import { abandonedSignal } from '../deadline.js';
import { literalRefusal, type DestinationPolicy } from '../../domain/destinationPolicy.js';
import { requestOwner } from '../auth.js';
import { AppError } from '../errors.js';
import { MERGE_PATCH_TYPE } from '../mergePatchBody.js';
import type { QuerySlots } from '../querySlots.js';
import { dateAnchors, dateParam, problemSchema } from '../schemas.js';
import type { ServerDeps } from '../server.js';

const idParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('The alert rule id') });

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

/** A merged rule validated as a new one would be; a mistake is a 400 naming its field (under `prefix`). */
function validRule(body: unknown, prefix = ''): Rule {
  const res = ruleSchema.safeParse(body);
  if (res.success) return res.data;
  const invalidParams = res.error.issues.map((i) => ({ name: [prefix, ...i.path].filter((x) => x !== '').join('.') || 'body', reason: i.message }));
  throw new AppError(400, 'invalid_parameter', invalidParams.map((p) => `${p.name}: ${p.reason}`).join('; '), { invalidParams });
}

/**
 * A channel whose URL is an address the destination policy refuses is a 400 naming it; a host name
 * is checked on the addresses it resolves to when a notification is sent (DNS can change by then).
 */
function checkChannelAddresses(rule: Rule, policy: DestinationPolicy): Rule {
  for (const [i, channel] of rule.notify.entries()) {
    const refusal = literalRefusal(channel.url, policy);
    if (refusal) throw AppError.badParam(`notify.${i}.url`, refusal);
  }
  return rule;
}

const backtestRange = z.object({
  start_date: z.string().max(64).describe('Event time, inclusive: ISO 8601, or relative (`latest-24h`: a day before the newest stored record; `now-1h`)'),
  end_date: z.string().max(64).describe('Event time, exclusive, in the same forms (`latest`: just after the newest record); at most 31 days after start_date'),
});

const backtestAnswer = z.object({
  start_date: z.string(),
  end_date: z.string(),
  steps: z.number().describe('Windows evaluated, one per minute of event time'),
  episodes: z.array(z.object({
    window_start: z.string(), window_end: z.string().describe('The window that fired'),
    value: z.number(), peak: z.number().describe('The worst value while it fired'),
    resolved_at: z.string().nullable().describe('End of the window that resolved it; null if still firing at end_date'),
  })),
});

export type BacktestAnswer = z.infer<typeof backtestAnswer>;

/** Where a rule stands in live evaluation (GET /alerts/states); named so the dashboard shares its type (src/api/wireTypes.ts). */
export const ruleStateSchema = z.object({
  rule_id: z.number(),
  state: z.enum(['inactive', 'pending', 'firing']),
  since: z.string().nullable().describe('Event time the current pending or firing stretch began'),
  evaluated_to: z.string().nullable().describe('End of the last window evaluated (event time); null: not evaluated yet'),
  value: z.number().nullable().describe('The value of that window; null: not evaluated, or too little data to judge'),
});

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Runs a backtest, answering bad dates and unsupported rules as 400s naming the field. It stops
 * between two days of windows once nobody waits for the answer (client gone, or 504 at the deadline).
 */
async function runBacktest(db: Db, rule: LoadedRule, range: z.infer<typeof backtestRange>, reply: FastifyReply): Promise<z.infer<typeof backtestAnswer>> {
  const anchors = await dateAnchors(db, [range.start_date, range.end_date], null);
  const startMs = Date.parse(dateParam('start_date', range.start_date, anchors));
  const endMs = Date.parse(dateParam('end_date', range.end_date, anchors));
  if (startMs >= endMs) throw AppError.badParam('end_date', 'must be after start_date');
  try {
    const { episodes, steps, aborted } = await backtest(db, rule, startMs, endMs, { signal: abandonedSignal(reply) });
    if (aborted) reply.log.info({ steps }, 'backtest stopped: nobody waits for its answer any more');
    return { start_date: iso(startMs), end_date: iso(endMs), steps, episodes: episodes.map(episodeAnswer) };
  } catch (err) {
    if (err instanceof BacktestError) throw AppError.badParam(err.field, err.message);
    throw err;
  }
}

function episodeAnswer(e: Episode): z.infer<typeof backtestAnswer>['episodes'][number] {
  return {
    window_start: iso(e.windowStartMs), window_end: iso(e.windowEndMs), value: e.value, peak: e.peak,
    resolved_at: e.resolvedAtMs === null ? null : iso(e.resolvedAtMs),
  };
}

/** Alert rules: create, list, read, replace, patch, delete. */
export function alertRuleRoutes(deps: ServerDeps & { rawQueries: QuerySlots }): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const policy: DestinationPolicy = { denyPrivate: deps.config.notifyDenyPrivate, allowed: deps.config.notifyAllowedHosts };
    const found = async (id: number) => (await getRule(deps.db, id)) ?? Promise.reject(AppError.notFound(`alert rule ${id}`));

    app.post('/alerts/rules', {
      config: { access: 'admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Create an alert rule',
        description: 'E.g. `{"name": "Too many 500s", "kind": "count", "filter": {"status_code": "500"}, "operator": ">", "threshold": 50, "window": "5m", "severity": "critical"}`.\n\n'
          + 'What records episodes in `GET /alerts/history`: **live evaluation** covers the windows of event time ending after the rule was created; '
          + '**job evaluation** covers the event time of each file uploaded (or batch ingested) after that, up to ALERT_SPAN_MAX back from its last record; '
          + '**`evaluate_from`** covers the records already stored: the new rule is evaluated over them from that time on, in the background, '
          + 'as job evaluation would have (at most ALERT_SPAN_MAX back from the last record stored; the answer\'s `evaluation` names any part left out), '
          + 'and `GET /alerts/rules/{id}` shows how it went. A **backtest** previews the episodes over any range without recording them.',
        body: newRuleSchema,
        response: { 201: storedRuleSchema, 400: problemSchema },
      },
    }, async (req, reply) => {
      const { evaluate_from: evaluateFrom, ...fields } = req.body;
      const rule = checkChannelAddresses(fields, policy);
      let evaluateFromMs: number | undefined;
      if (evaluateFrom !== undefined) {
        evaluateFromMs = Date.parse(dateParam('evaluate_from', evaluateFrom));
        if (!rule.enabled) throw AppError.badParam('evaluate_from', 'a disabled rule is not evaluated; create it enabled, or leave evaluate_from out');
      }
      const created = await createRule(deps.db, rule, evaluateFromMs);
      if (evaluateFromMs !== undefined) deps.onRuleEvaluationQueued?.();
      return reply.code(201).send(created);
    });

    app.get('/alerts/rules', {
      config: { access: 'admin' },
      schema: { tags: ['alerts'], summary: 'Every alert rule, oldest first', response: { 200: z.object({ items: z.array(storedRuleSchema) }) } },
    }, async () => ({ items: await listRules(deps.db) }));

    app.get('/alerts/states', {
      config: { access: 'read' },
      schema: {
        tags: ['alerts'],
        summary: "Where each rule stands in live evaluation: inactive, pending or firing, and its last value",
        response: {
          200: z.object({ items: z.array(ruleStateSchema) }),
        },
      },
    }, async () => ({ items: await listRuleStates(deps.db) }));

    app.get('/alerts/rules/:id', {
      config: { access: 'admin' },
      schema: { tags: ['alerts'], summary: 'One alert rule', params: idParams, response: { 200: storedRuleSchema, 404: problemSchema } },
    }, async (req) => found(req.params.id));

    app.put('/alerts/rules/:id', {
      config: { access: 'admin' },
      schema: {
        tags: ['alerts'], summary: 'Replace an alert rule', params: idParams, body: ruleSchema,
        response: { 200: storedRuleSchema, 400: problemSchema, 404: problemSchema },
      },
    }, async (req) => (await replaceRule(deps.db, req.params.id, checkChannelAddresses(req.body, policy))) ?? Promise.reject(AppError.notFound(`alert rule ${req.params.id}`)));

    app.patch('/alerts/rules/:id', {
      config: { access: 'admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Change some fields of an alert rule (JSON merge patch, RFC 7396)',
        description: 'Objects merge key by key (`{"filter": {"source": "web"}}` adds a source filter), `null` removes a key, lists are replaced. The result is validated as a new rule would be. The body may be sent as `application/merge-patch+json` or `application/json`.',
        params: idParams,
        consumes: ['application/json', MERGE_PATCH_TYPE],
        body: z.record(z.string(), z.unknown()),
        response: { 200: storedRuleSchema, 400: problemSchema, 404: problemSchema },
      },
    }, async (req) => {
      const { id, created_at: _c, updated_at: _u, ...current } = await found(req.params.id);
      const rule = checkChannelAddresses(validRule(mergePatch(current, req.body)), policy);
      return (await replaceRule(deps.db, id, rule)) ?? Promise.reject(AppError.notFound(`alert rule ${id}`));
    });

    app.post('/alerts/rules/backtest', {
      config: { access: 'admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Run an unsaved rule over stored data: the episodes it would have had',
        description: 'Body: `{"rule": {...}, "start_date": ..., "end_date": ...}`. The same windows and state machine as live evaluation; nothing is recorded.',
        body: backtestRange.extend({ rule: z.record(z.string(), z.unknown()) }),
        response: { 200: backtestAnswer, 400: problemSchema, 429: problemSchema },
      },
    }, async (req, reply) => {
      const rule = loadedRule(validRule(req.body.rule, 'rule'));
      // A backtest of a q or endpoint rule reads raw rows over its range: it takes a search slot.
      return deps.rawQueries.run(requestOwner(req).slot, () => runBacktest(deps.db, rule, req.body, reply));
    });

    app.post('/alerts/rules/:id/backtest', {
      config: { access: 'admin' },
      schema: {
        tags: ['alerts'],
        summary: 'Run a saved rule over stored data: the episodes it would have had',
        params: idParams,
        body: backtestRange,
        response: { 200: backtestAnswer, 400: problemSchema, 404: problemSchema, 429: problemSchema },
      },
    }, async (req, reply) => {
      const { id: _i, created_at: _c, updated_at: _u, ...rule } = await found(req.params.id);
      return deps.rawQueries.run(requestOwner(req).slot, () => runBacktest(deps.db, rule, req.body, reply));
    });

    app.post('/alerts/rules/:id/test-notification', {
      config: { access: 'admin' },
      schema: {
        tags: ['alerts'],
        summary: "Send a sample notification to each of the rule's channels",
        description: 'Queued like real ones (answers 202 with the delivery ids); their outcome is in the receiver, and in the logs of the service.',
        params: idParams,
        response: { 202: z.object({ deliveries: z.array(z.number()) }), 400: problemSchema, 404: problemSchema },
      },
    }, async (req, reply) => {
      const rule = await found(req.params.id);
      if (rule.notify.length === 0) throw AppError.badParam('notify', 'the rule has no channels to notify');
      return reply.code(202).send({ deliveries: await enqueueTest(deps.db, rule, Date.now()) });
    });

    app.delete('/alerts/rules/:id', {
      config: { access: 'admin' },
      schema: { tags: ['alerts'], summary: 'Delete an alert rule', params: idParams, response: { 204: z.null(), 404: problemSchema } },
    }, async (req, reply) => {
      if (!(await deleteRule(deps.db, req.params.id))) throw AppError.notFound(`alert rule ${req.params.id}`);
      return reply.code(204).send(null);
    });
  };
}

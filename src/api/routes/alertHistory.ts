import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listHistory } from '../../alerts/history.js';
import { listDeliveries } from '../../alerts/notifications.js';
import { SEVERITIES } from '../../alerts/rule.js';
import { grants } from '../../domain/scopes.js';
import { dateAnchors, dateParam, limitParam, problemSchema } from '../schemas.js';
import type { ServerDeps } from '../server.js';

const historyEntrySchema = z.object({
  id: z.number(),
  rule_id: z.number(),
  rule_name: z.string(),
  severity: z.string(),
  state: z.enum(['firing', 'resolved']),
  value: z.number().describe('The value of the window that fired'),
  peak: z.number().describe('The worst value while it fired'),
  threshold: z.number().nullable(),
  window_start: z.string().describe('Event time'),
  window_end: z.string().describe('Event time: the end of the window that fired'),
  fired_at: z.string().describe('Event time it fired (the end of the window that fired)'),
  resolved_at: z.string().nullable().describe('Event time it resolved: the end of the window that resolved it'),
  detected_at: z.string().describe('Wall time the episode was recorded'),
  resolved_detected_at: z.string().nullable(),
  evidence: z.object({
    samples: z.array(z.object({ timestamp: z.string(), raw_log: z.string() })).describe('Up to 5 matching lines of the window that fired'),
    top_routes: z.array(z.object({ value: z.string(), count: z.number() })),
    top_clients: z.array(z.object({ value: z.string(), count: z.number() })),
    top_status_codes: z.array(z.object({ value: z.string(), count: z.number() })),
  }).nullable().describe('What made the value: from the raw rows of the window that fired'),
  silenced: z.boolean().describe('Found while a silence matched its rule: recorded, not notified'),
});

/** One notification of an episode, with its attempts. */
const deliverySchema = z.object({
  id: z.number(),
  channel: z.object({
    type: z.string(),
    host: z.string().describe('The host notified (no port, path or query)'),
    url: z.string().optional().describe('The full URL, a credential for Slack and token webhooks: only for keys with the admin scope'),
  }),
  event: z.string(),
  status: z.enum(['pending', 'sent', 'failed']), next_attempt_at: z.string(), sent_at: z.string().nullable(),
  attempts: z.array(z.object({ at: z.string(), status: z.number().nullable(), error: z.string().nullable() })),
});

// The answers are named, not written inline, so the dashboard shares their types (src/api/wireTypes.ts).
export const historyPage = z.object({ items: z.array(historyEntrySchema), next_cursor: z.string().nullable() });
export const deliveryList = z.object({ items: z.array(deliverySchema) });

const historyQuery = z.object({
  rule_id: z.coerce.number().int().positive().optional().describe("Only this rule's episodes"),
  state: z.enum(['firing', 'resolved']).optional().describe('Only episodes still firing, or only resolved ones'),
  severity: z.enum(SEVERITIES).optional().describe("Only episodes of rules of this severity"),
  start_date: z.string().max(64).optional().describe('Episodes whose window ends after this (event time, ISO 8601, or relative: `now-24h`, `latest-24h`)'),
  end_date: z.string().max(64).optional().describe('Episodes whose window starts before this'),
  cursor: z.string().regex(/^\d{1,18}$/, 'expected the next_cursor of a previous page').optional().describe('The `next_cursor` of the previous page'),
  limit: limitParam(500, 50),
});

/** Alert history (one entry per firing episode) and the alerts firing now. */
export function alertHistoryRoutes(deps: ServerDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get('/alerts/history', {
      config: { access: 'read' },
      schema: {
        tags: ['alerts'],
        summary: 'Firing episodes, most recently detected first',
        querystring: historyQuery,
        response: { 200: historyPage, 400: problemSchema },
      },
    }, async (req) => {
      const q = req.query;
      const anchors = await dateAnchors(deps.db, [q.start_date, q.end_date], null);
      const items = await listHistory(deps.db, {
        ruleId: q.rule_id, state: q.state, severity: q.severity,
        startDate: q.start_date === undefined ? undefined : dateParam('start_date', q.start_date, anchors),
        endDate: q.end_date === undefined ? undefined : dateParam('end_date', q.end_date, anchors),
        beforeId: q.cursor === undefined ? undefined : Number(q.cursor), limit: q.limit + 1,
      });
      const more = items.length > q.limit;
      const page = items.slice(0, q.limit);
      return { items: page, next_cursor: more ? String(page[page.length - 1]!.id) : null };
    });

    app.get('/alerts/history/:id/deliveries', {
      config: { access: 'read' },
      schema: {
        tags: ['alerts'],
        summary: "An episode's notifications, each with its attempts",
        description: "Each channel's type and host; its full URL (a Slack or token webhook's URL is its credential) only for keys with the admin scope.",
        params: z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('The history entry (episode) id') }),
        response: {
          200: deliveryList,
        },
      },
    }, async (req) => {
      const admin = deps.config.authDisabled || (req.apiKey !== undefined && grants(req.apiKey.scopes, 'admin'));
      return { items: await listDeliveries(deps.db, req.params.id, { withUrls: admin }) };
    });

    app.get('/alerts/active', {
      config: { access: 'read' },
      schema: { tags: ['alerts'], summary: 'Episodes firing now', response: { 200: z.object({ items: z.array(historyEntrySchema) }) } },
    }, async () => ({ items: await listHistory(deps.db, { state: 'firing', limit: 1000 }) }));
  };
}

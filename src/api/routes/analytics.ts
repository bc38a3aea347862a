import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getSummary, firstAndLast, type Summary } from '../../analytics/summary.js';
import { addRouteRule, deleteRouteRule, listRouteRules } from '../../ingest/routeRules.js';
import { RouteRuleError, validateRouteRule } from '../../parse/routes.js';
import { AppError } from '../errors.js';
import { analyticsRangeQuery, limitParam, problemSchema, toFactFilter } from '../schemas.js';
import type { ServerDeps } from '../server.js';

const latencySchema = z.object({
  count: z.number(),
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  avg: z.number().nullable(),
  max: z.number().nullable(),
  relative_error: z.number().describe('Percentiles are within this relative error of the exact value'),
});

const summaryBody = z.object({
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  total_requests: z.number().describe('Records with a status code (access-log lines)'),
  total_records: z.number().describe('All records, error-log lines included'),
  error_count: z.number().describe('5xx responses'),
  error_rate_pct: z.number().describe('5xx share of total_requests, 0–100, two decimals'),
  client_error_count: z.number().describe('4xx responses'),
  status_classes: z.record(z.string(), z.number()),
  status_codes: z.record(z.string(), z.number()),
  levels: z.record(z.string(), z.number()),
  top_endpoints: z.array(z.object({ route: z.string(), count: z.number(), error_rate_pct: z.number() })),
  latency_ms: latencySchema,
  unique_clients: z.number(),
  bytes_sent: z.number(),
  first_timestamp: z.string().nullable(),
  last_timestamp: z.string().nullable(),
  source_of_truth: z.enum(['rollups', 'rollups+raw', 'raw']).describe('rollups+raw: whole minutes from rollups, the seconds at the edges from raw rows'),
});

const routeRuleBody = z.object({
  pattern: z.string().min(1).max(300).describe('Path glob: `*` within a segment, `**` as the last segment for the rest (e.g. `/blog/*`)'),
  template: z.string().min(1).max(300).describe('The route given to matching paths (e.g. `/blog/{slug}`)'),
});
const storedRule = routeRuleBody.extend({ id: z.number(), position: z.number(), created_at: z.string() });

export function analyticsRoutes(deps: ServerDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get('/analytics/summary', {
      schema: {
        tags: ['analytics'],
        summary: 'Totals, error rate, status codes, top routes and latency percentiles of a time range',
        description: 'Answered from the rollups (whole days, hours and minutes) and the raw rows at the edges of the range. '
          + 'With `compare=previous`, `previous` holds the same figures for the period of equal length just before.',
        querystring: analyticsRangeQuery.extend({
          top: limitParam(100, 5).describe('Routes in top_endpoints, 1–100'),
          compare: z.enum(['previous']).optional().describe('`previous`: also the period of equal length before the range'),
        }),
        response: { 200: summaryBody.extend({ previous: summaryBody.optional() }), 400: problemSchema },
      },
    }, async (req) => {
      const filter = toFactFilter(req.query);
      const current = await getSummary(deps.db, { ...filter, top: req.query.top });
      if (req.query.compare !== 'previous') return current;
      // A range left open takes its bound from the data, so "previous" has a length.
      const bounds = await firstAndLast(deps.db, filter);
      const startMs = filter.startMs ?? (bounds.first ? Date.parse(bounds.first) : null);
      const endMs = filter.endMs ?? (bounds.last ? Date.parse(bounds.last) + 1 : null);
      if (startMs === null || endMs === null) return current;
      const previous: Summary = await getSummary(deps.db, { ...filter, startMs: 2 * startMs - endMs, endMs: startMs, top: req.query.top });
      return { ...current, previous };
    });

    app.get('/analytics/route-rules', {
      schema: {
        tags: ['analytics'],
        summary: 'Route rules, in the order they are tried (before the built-in normalisation)',
        response: { 200: z.object({ items: z.array(storedRule) }) },
      },
    }, async () => ({ items: await listRouteRules(deps.db) }));

    app.post('/analytics/route-rules', {
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
      schema: {
        tags: ['analytics'],
        summary: 'Delete a route rule',
        params: z.object({ id: z.coerce.number().int().positive() }),
        response: { 204: z.null(), 404: problemSchema },
      },
    }, async (req, reply) => {
      if (!(await deleteRouteRule(deps.db, req.params.id))) throw AppError.notFound(`route rule ${req.params.id}`);
      return reply.code(204).send(null);
    });
  };
}

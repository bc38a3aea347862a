import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getSummary, firstAndLast, type Summary } from '../../analytics/summary.js';
import { getTopClients } from '../../analytics/clients.js';
import { getSources } from '../../analytics/sources.js';
import { emptyRangeHint } from '../../analytics/emptyRangeHint.js';
import type { FactFilter } from '../../analytics/facts.js';
import { ENDPOINT_SORTS, getEndpoints, getStatusCodes } from '../../analytics/endpoints.js';
import { getTraffic, TooManyPointsError, TRAFFIC_INTERVALS } from '../../analytics/traffic.js';
import { requestOwner } from '../auth.js';
import { checkEmbeddedScanRange } from '../embeddedScanRange.js';
import { AppError } from '../errors.js';
import type { QuerySlots } from '../querySlots.js';
import { analyticsRangeQuery, emptyHint, factDateAnchors, factFilterOf, limitParam, problemSchema, scanEndMs, toFactFilter } from '../schemas.js';
import type { ServerDeps } from '../server.js';
import { singleFlight } from '../singleFlight.js';

const sourceOfTruth = z.enum(['rollups', 'rollups+raw', 'raw'])
  .describe('rollups: from rollups only; rollups+raw: whole minutes from rollups, the seconds at the edges of the range from raw rows; raw: raw rows');

const latencySchema = z.object({
  count: z.number(),
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  avg: z.number().nullable(),
  max: z.number().nullable(),
  relative_error: z.number().describe('Percentiles are within this relative error of the exact value, and never above max'),
});

const summaryBody = z.object({
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  total_requests: z.number().describe('Records with a status code (access-log lines)'),
  total_records: z.number().describe('All records, error-log lines included'),
  error_count: z.number().describe('Responses with a status of 500 or more (5xx). Not `levels.ERROR`, which counts records at level ERROR: these responses and error-log lines at level error or worse'),
  error_rate_pct: z.number().describe('5xx share of total_requests, 0–100, two decimals'),
  client_error_count: z.number().describe('Responses with a status from 400 to 499 (4xx). Not `levels.WARN`, which adds error-log lines at level warn'),
  status_classes: z.record(z.string(), z.number()),
  status_codes: z.record(z.string(), z.number()),
  levels: z.record(z.string(), z.number()).describe('Records per level (INFO, WARN, ERROR), error-log lines included: an access record is ERROR when 5xx, WARN when 4xx, else INFO; an error-log line has the level it was written with (crit, alert and emerg count as ERROR). So `levels.ERROR` ≥ `error_count`, equal with access logs only'),
  top_endpoints: z.array(z.object({ route: z.string(), count: z.number(), error_rate_pct: z.number() })),
  latency_ms: latencySchema,
  unique_clients: z.number().describe('Distinct client addresses; never more than total_records'),
  unique_clients_error: z.number().describe('0: counted exactly; else the relative standard error of the estimate (whole hours and days of many records come from HyperLogLog sketches)'),
  bytes_sent: z.number(),
  first_timestamp: z.string().nullable(),
  last_timestamp: z.string().nullable(),
  source_of_truth: sourceOfTruth,
});

// The answers are named, not written inline, so the dashboard shares their types (src/api/wireTypes.ts).
export const summaryAnswer = summaryBody.extend({ previous: summaryBody.optional(), hint: emptyHint });

export const trafficAnswer = z.object({
  interval: z.string(),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  group_by: z.string().nullable(),
  series: z.array(z.object({
    bucket: z.string(),
    count: z.number(),
    errors: z.number().describe('5xx'),
    client_errors: z.number().describe('4xx'),
    p95_ms: z.number().nullable(),
    p99_ms: z.number().nullable().describe('From the same latency histogram as p95_ms'),
    groups: z.record(z.string(), z.number()).optional(),
  })),
  source_of_truth: sourceOfTruth,
  hint: emptyHint,
});

export const endpointsAnswer = z.object({
  items: z.array(z.object({
    route: z.string(), count: z.number(), errors: z.number(), error_rate_pct: z.number(),
    p50_ms: z.number().nullable(), p95_ms: z.number().nullable(), p99_ms: z.number().nullable(),
    avg_ms: z.number().nullable(), max_ms: z.number().nullable(), bytes: z.number(),
  })),
  source_of_truth: sourceOfTruth,
  hint: emptyHint,
});

export const extentAnswer = z.object({ first_timestamp: z.string().nullable(), last_timestamp: z.string().nullable() });

export const sourcesAnswer = z.object({ items: z.array(z.object({ source: z.string(), records: z.number(), last_bucket: z.string() })) });

/** An empty answer gains a `hint` saying where the data is: one extent query, only then. */
async function withHint<T extends object>(db: ServerDeps['db'], filter: FactFilter, answer: T, isEmpty: (a: T) => boolean): Promise<T & { hint?: string }> {
  if (!isEmpty(answer)) return answer;
  return { ...answer, hint: await emptyRangeHint(db, filter, filter.source === null ? null : [filter.source]) };
}


export function analyticsRoutes(deps: ServerDeps & { rawQueries: QuerySlots }): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const shared = singleFlight();

    app.get('/analytics/summary', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'Totals, error rate, status codes, top routes and latency percentiles of a time range',
        description: 'Answered from the rollups (whole days, hours and minutes) and the raw rows at the edges of the range. '
          + 'With `compare=previous`, `previous` holds the same figures for the period of equal length just before.',
        querystring: analyticsRangeQuery.extend({
          top: limitParam(100, 5).describe('Routes in top_endpoints, 1–100'),
          compare: z.enum(['previous']).optional().describe('`previous`: also the period of equal length before the range'),
        }),
        response: { 200: summaryAnswer, 400: problemSchema },
      },
    }, async (req) => shared(req, async () => {
      const filter = await factFilterOf(deps.db, req.query);
      const current = await withHint(deps.db, filter, await getSummary(deps.db, { ...filter, top: req.query.top }), (a) => a.total_records === 0);
      if (req.query.compare !== 'previous') return current;
      // A range left open takes its bound from the data, so "previous" has a length.
      const bounds = await firstAndLast(deps.db, filter);
      const startMs = filter.startMs ?? (bounds.first ? Date.parse(bounds.first) : null);
      const endMs = filter.endMs ?? (bounds.last ? Date.parse(bounds.last) + 1 : null);
      if (startMs === null || endMs === null) return current;
      const previous: Summary = await getSummary(deps.db, { ...filter, startMs: 2 * startMs - endMs, endMs: startMs, top: req.query.top });
      return { ...current, previous };
    }));

    app.get('/analytics/traffic', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'Requests, errors and p95/p99 latency over time, for charts',
        description: 'Every bucket of the range is present (zeros where nothing happened). `auto` picks the finest interval '
          + 'that keeps at most 300 points. With `group_by`, each point splits its count among the ten largest groups and `other`. '
          + 'With `route`, only that route\'s records (its traffic sums to its count in /analytics/endpoints over the same range).',
        querystring: analyticsRangeQuery.extend({
          interval: z.enum(['auto', ...(Object.keys(TRAFFIC_INTERVALS) as (keyof typeof TRAFFIC_INTERVALS)[])]).default('auto')
            .describe('Bucket width; `auto`: the finest that keeps at most 300 points'),
          group_by: z.enum(['status_class', 'level', 'route', 'source']).optional()
            .describe('Split each point among the ten largest groups of this field and `other`'),
          route: z.string().min(1).max(1024).optional().describe('One normalised route, as /analytics/endpoints names it (e.g. `/api/users/{id}`)'),
        }),
        response: {
          200: trafficAnswer,
          400: problemSchema,
        },
      },
    }, async (req) => shared(req, async () => {
      try {
        const filter = { ...await factFilterOf(deps.db, req.query), route: req.query.route ?? null };
        const traffic = await getTraffic(deps.db, { ...filter, interval: req.query.interval, groupBy: req.query.group_by });
        return await withHint(deps.db, filter, traffic, (t) => t.series.every((p) => p.count === 0));
      } catch (err) {
        if (err instanceof TooManyPointsError) throw AppError.badParam('interval', err.message);
        throw err;
      }
    }));

    app.get('/analytics/endpoints', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'Routes with their traffic, error rate and latency percentiles',
        description: '`sort=p95` with a `min_count` is the high-latency endpoints view.',
        querystring: analyticsRangeQuery.extend({
          sort: z.enum(ENDPOINT_SORTS).default('count').describe('Order: most requests, highest error rate, or slowest by p95, p99 or average'),
          limit: limitParam(1000, 50).describe('Routes, 1–1000'),
          min_count: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').default(1)
            .describe('Leave out routes with fewer requests'),
        }),
        response: {
          200: endpointsAnswer,
          400: problemSchema,
        },
      },
    }, async (req) => shared(req, async () => {
      const filter = await factFilterOf(deps.db, req.query);
      const endpoints = await getEndpoints(deps.db, { ...filter, sort: req.query.sort, limit: req.query.limit, minCount: req.query.min_count });
      return withHint(deps.db, filter, endpoints, (e) => e.items.length === 0);
    }));

    app.get('/analytics/status-codes', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'Requests per status code and class',
        querystring: analyticsRangeQuery,
        response: {
          200: z.object({
            total: z.number(),
            classes: z.record(z.string(), z.number()),
            items: z.array(z.object({ status_code: z.number(), count: z.number(), pct: z.number() })),
            source_of_truth: sourceOfTruth,
            hint: emptyHint,
          }),
          400: problemSchema,
        },
      },
    }, async (req) => shared(req, async () => {
      const filter = await factFilterOf(deps.db, req.query);
      return withHint(deps.db, filter, await getStatusCodes(deps.db, filter), (c) => c.total === 0);
    }));

    app.get('/analytics/extent', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'The time of the first and the last record (of one source)',
        description: 'What a dashboard needs to open on the most recent data that exists: two index probes, not a summary.',
        querystring: analyticsRangeQuery.pick({ source: true }),
        response: {
          200: extentAnswer,
        },
      },
    }, async (req) => shared(req, async () => {
      const { first, last } = await firstAndLast(deps.db, { startMs: null, endMs: null, source: req.query.source || null });
      return { first_timestamp: first, last_timestamp: last };
    }));

    app.get('/analytics/sources', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'Every source with its record count and the day of its latest records',
        response: {
          200: sourcesAnswer,
        },
      },
    }, async (req) => shared(req, async () => ({ items: await getSources(deps.db) })));

    app.get('/analytics/clients', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'The busiest client addresses with their error share',
        description:
          'Whole days come from daily lists of the 200 busiest addresses per source (counted from the raw rows when a day is ' +
          'compacted), the rest of the range from the raw rows. An address missing from a day\'s list had at most that day\'s ' +
          'floor: `count_error_upper_bound` says how many requests an address\'s count may lack, and `exact` whether every count ' +
          'is exact and the ranking proven (as Elasticsearch reports `doc_count_error_upper_bound`). `exact=true` counts from the ' +
          'raw rows instead: exact, but a scan of the whole range, which on the embedded database needs `start_date` and a range of at most '
          + `EMBEDDED_SCAN_MAX_DAYS (here ${deps.config.embeddedScanMaxDays || 'unbounded'}) days. Counts from raw rows take one of the key's search slots (429 when all are busy).`,
        querystring: analyticsRangeQuery.extend({
          limit: limitParam(1000, 20).describe('Clients, 1–1000'),
          exact: z.enum(['true', 'false']).default('false').describe('`true`: count every address from the raw rows (slow over long ranges)'),
        }),
        response: {
          200: z.object({
            items: z.array(z.object({
              client_ip: z.string(), count: z.number(), errors: z.number(), client_errors: z.number(), error_rate_pct: z.number(), bytes: z.number(),
              count_error_upper_bound: z.number().describe('0: the count is exact; else it may lack up to this many requests'),
            })),
            exact: z.boolean().describe('Every count exact and no address left out could rank higher'),
            source_of_truth: sourceOfTruth,
            hint: emptyHint,
          }),
          400: problemSchema,
          429: problemSchema,
        },
      },
    }, async (req) => {
      const anchors = await factDateAnchors(deps.db, req.query);
      const filter = toFactFilter(req.query, anchors);
      const exact = req.query.exact === 'true';
      if (exact) {
        checkEmbeddedScanRange({
          kind: deps.db.kind, maxDays: deps.config.embeddedScanMaxDays, what: 'exact=true',
          startMs: filter.startMs, endMs: filter.endMs ?? scanEndMs(undefined, req.query.start_date, anchors),
        });
      }
      // Even without exact, the parts of the range outside whole days are counted from raw rows.
      const clients = await deps.rawQueries.run(requestOwner(req).slot, () => shared(req, () => getTopClients(deps.db, { ...filter, limit: req.query.limit, exact })));
      return withHint(deps.db, filter, clients, (c) => c.items.length === 0);
    });
  };
}

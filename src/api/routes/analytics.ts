import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getSummary, firstAndLast, type Summary } from '../../analytics/summary.js';
import { countsFromRawRows, getTopClients } from '../../analytics/clients.js';
import { getSources } from '../../analytics/sources.js';
import { emptyRangeHint } from '../../analytics/emptyRangeHint.js';
import { ENDPOINT_SORTS, getEndpoints, getStatusCodes } from '../../analytics/endpoints.js';
import { percentilesKept } from '../../analytics/facts.js';
import { getTraffic, TooManyPointsError, TRAFFIC_INTERVALS } from '../../analytics/traffic.js';
import { requestOwner } from '../auth.js';
import { checkRecordScan } from '../embeddedScanRange.js';
import { AppError } from '../errors.js';
import type { QuerySlots } from '../querySlots.js';
import { answers, FULL_ROLLUPS } from '../../query/compileFilter.js';
import type { DateAnchors } from '../../query/filterParams.js';
import type { RecordFilter } from '../../query/recordFilter.js';
import { limitParam, problemSchema, recordFilterFrom, recordFilterQuery } from '../schemas.js';
import type { ServerDeps } from '../server.js';
import {
  clientsBody, endpointsBody, extentAnswer, FILTERS_DOC, sourcesAnswer, statusCodesBody, summaryAnswer, trafficBody,
} from './analyticsBodies.js';
import { singleFlight } from '../singleFlight.js';

/** An empty answer gains a `hint` saying where the data is: one extent query, only then. */
async function withHint<T extends object>(db: ServerDeps['db'], filter: RecordFilter, answer: T, isEmpty: (a: T) => boolean): Promise<T & { hint?: string }> {
  if (!isEmpty(answer)) return answer;
  return { ...answer, hint: await emptyRangeHint(db, filter, filter.sources ?? null) };
}

type AnalyticsDeps = ServerDeps & { rawQueries: QuerySlots };

/** Bounds a scan of the raw rows of the filter's range on the embedded database, as GET /logs bounds a search with q or endpoint. */
function checkRawScan(deps: AnalyticsDeps, what: string, filter: RecordFilter, anchors: DateAnchors, startGiven: string | undefined): void {
  checkRecordScan({ singleBackend: deps.db.singleBackend, maxDays: deps.config.embeddedScanMaxDays }, what, filter, anchors, startGiven);
}

/**
 * Runs an answer: from the rollups as it comes, or, when the filter needs the raw rows (q,
 * endpoint), bounded like a search (checkRawScan) and in one of the key's search slots.
 */
function answerWith<T>(
  deps: AnalyticsDeps, shared: ReturnType<typeof singleFlight>, req: FastifyRequest & { query: { start_date?: string | undefined } },
  parsed: { filter: RecordFilter; anchors: DateAnchors }, compute: () => Promise<T>,
): Promise<T> {
  if (answers(FULL_ROLLUPS, parsed.filter)) return shared(req, compute);
  checkRawScan(deps, 'a filter on q or endpoint', parsed.filter, parsed.anchors, req.query.start_date);
  return deps.rawQueries.run(requestOwner(req).slot, () => shared(req, compute));
}


export function analyticsRoutes(deps: AnalyticsDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const shared = singleFlight();

    app.get('/analytics/summary', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'Totals, error rate, status codes, top routes and latency percentiles of a time range',
        description: 'Answered from the rollups (whole days, hours and minutes) and the raw rows at the edges of the range. '
          + 'With `compare=previous`, `previous` holds the same figures for the period of equal length just before. '
          + 'Filtered by status_code, level, route or method over whole hours, `unique_clients` is null (addresses are kept per source only); '
          + 'filtered by q or endpoint, it is counted exactly from the raw rows that match. Under a filter on status_code, level or method over '
          + 'whole hours the latency percentiles are null (histograms are kept per route and per source; count, avg and max remain). ' + FILTERS_DOC,
        querystring: recordFilterQuery.extend({
          top: limitParam(100, 5).describe('Routes in top_endpoints, 1–100'),
          compare: z.enum(['previous']).optional().describe('`previous`: also the period of equal length before the range'),
        }),
        response: { 200: summaryAnswer, 400: problemSchema },
      },
    }, async (req) => {
      const parsed = await recordFilterFrom(deps.db, req.query);
      const { filter } = parsed;
      return answerWith(deps, shared, req, parsed, async () => {
        const current = await withHint(deps.db, filter, await getSummary(deps.db, { ...filter, top: req.query.top }), (a) => a.total_records === 0);
        if (req.query.compare !== 'previous') return current;
        // A range left open takes its bound from the data, so "previous" has a length.
        const bounds = await firstAndLast(deps.db, filter);
        const startMs = filter.startMs ?? (bounds.first ? Date.parse(bounds.first) : null);
        const endMs = filter.endMs ?? (bounds.last ? Date.parse(bounds.last) + 1 : null);
        if (startMs === null || endMs === null) return current;
        const previous: Summary = await getSummary(deps.db, { ...filter, startMs: 2 * startMs - endMs, endMs: startMs, top: req.query.top });
        return { ...current, previous };
      });
    });

    app.get('/analytics/traffic', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'Requests, errors and p95/p99 latency over time, for charts',
        description: 'Every bucket of the range is present (zeros where nothing happened). `auto` picks the finest interval '
          + 'that keeps at most 300 points. With `group_by`, each point splits its count among the ten largest groups and `other`. '
          + 'With `route`, only that route\'s records (its traffic sums to its count in /analytics/endpoints over the same range). '
          + FILTERS_DOC,
        querystring: recordFilterQuery.extend({
          interval: z.enum(['auto', ...(Object.keys(TRAFFIC_INTERVALS) as (keyof typeof TRAFFIC_INTERVALS)[])]).default('auto')
            .describe('Bucket width; `auto`: the finest that keeps at most 300 points'),
          group_by: z.enum(['status_class', 'level', 'route', 'source']).optional()
            .describe('Split each point among the ten largest groups of this field and `other`'),
        }),
        response: {
          200: trafficBody,
          400: problemSchema,
        },
      },
    }, async (req) => {
      const parsed = await recordFilterFrom(deps.db, req.query);
      const { filter } = parsed;
      return answerWith(deps, shared, req, parsed, async () => {
        try {
          const traffic = await getTraffic(deps.db, { ...filter, interval: req.query.interval, groupBy: req.query.group_by });
          return await withHint(deps.db, filter, traffic, (t) => t.series.every((p) => p.count === 0));
        } catch (err) {
          if (err instanceof TooManyPointsError) throw AppError.badParam('interval', err.message);
          throw err;
        }
      });
    });

    app.get('/analytics/endpoints', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'Routes with their traffic, error rate and latency percentiles',
        description: '`sort=p95` with a `min_count` is the high-latency endpoints view. ' + FILTERS_DOC,
        querystring: recordFilterQuery.extend({
          sort: z.enum(ENDPOINT_SORTS).default('count').describe('Order: most requests, highest error rate, or slowest by p95, p99 or average; p95 and p99 are refused (400) under a filter on status_code, level or method over whole hours, where percentiles are not kept'),
          limit: limitParam(1000, 50).describe('Routes, 1–1000'),
          min_count: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').default(1)
            .describe('Leave out routes with fewer requests'),
        }),
        response: {
          200: endpointsBody,
          400: problemSchema,
        },
      },
    }, async (req) => {
      const parsed = await recordFilterFrom(deps.db, req.query);
      const { filter } = parsed;
      if ((req.query.sort === 'p95' || req.query.sort === 'p99') && !percentilesKept(filter)) {
        throw AppError.badParam('sort', `${req.query.sort} is not known under a filter on status_code, level or method over whole hours `
          + '(latency histograms are kept per route and per source): sort by count, error_rate or avg, or narrow by route or source only');
      }
      return answerWith(deps, shared, req, parsed, async () => {
        const endpoints = await getEndpoints(deps.db, { ...filter, sort: req.query.sort, limit: req.query.limit, minCount: req.query.min_count });
        return withHint(deps.db, filter, endpoints, (e) => e.items.length === 0);
      });
    });

    app.get('/analytics/status-codes', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'Requests per status code and class',
        description: FILTERS_DOC,
        querystring: recordFilterQuery,
        response: {
          200: statusCodesBody,
          400: problemSchema,
        },
      },
    }, async (req) => {
      const parsed = await recordFilterFrom(deps.db, req.query);
      const { filter } = parsed;
      return answerWith(deps, shared, req, parsed, async () => withHint(deps.db, filter, await getStatusCodes(deps.db, filter), (c) => c.total === 0));
    });

    app.get('/analytics/extent', {
      config: { access: 'read' },
      schema: {
        tags: ['analytics'],
        summary: 'The time of the first and the last record (of the sources named)',
        description: 'What a dashboard needs to open on the most recent data that exists: two index probes, not a summary.',
        querystring: recordFilterQuery.pick({ source: true }),
        response: {
          200: extentAnswer,
        },
      },
    }, async (req) => shared(req, async () => {
      const { filter } = await recordFilterFrom(deps.db, { source: req.query.source });
      const { first, last } = await firstAndLast(deps.db, filter);
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
          + `EMBEDDED_SCAN_MAX_DAYS (here ${deps.config.embeddedScanMaxDays || 'unbounded'}) days. Counts from raw rows take one of the key's search slots (429 when all are busy). `
          + 'The daily lists are kept per source: filtered on more than `source` (status_code, level, route, method, q, endpoint), '
          + 'the counts come from the raw rows that match, as with `exact=true`, under the same bounds. ' + FILTERS_DOC,
        querystring: recordFilterQuery.extend({
          limit: limitParam(1000, 20).describe('Clients, 1–1000'),
          exact: z.enum(['true', 'false']).default('false').describe('`true`: count every address from the raw rows (slow over long ranges)'),
        }),
        response: {
          200: clientsBody,
          400: problemSchema,
          429: problemSchema,
        },
      },
    }, async (req) => {
      const { filter, anchors } = await recordFilterFrom(deps.db, req.query);
      const exact = req.query.exact === 'true';
      if (countsFromRawRows(filter, exact)) {
        checkRawScan(deps, exact ? 'exact=true' : 'a filter on more than source', filter, anchors, req.query.start_date);
      }
      // Even without exact, the parts of the range outside whole days are counted from raw rows.
      const clients = await deps.rawQueries.run(requestOwner(req).slot, () => shared(req, () => getTopClients(deps.db, { ...filter, limit: req.query.limit, exact })));
      return withHint(deps.db, filter, clients, (c) => c.items.length === 0);
    });
  };
}

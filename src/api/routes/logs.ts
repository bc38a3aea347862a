import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { emptyRangeHint } from '../../analytics/emptyRangeHint.js';
import { FilterError } from '../../query/filterParams.js';
import { decodeCursor, searchLogs } from '../../search/searchLogs.js';
import { requestOwner } from '../auth.js';
import { checkRecordScan } from '../embeddedScanRange.js';
import { AppError } from '../errors.js';
import type { QuerySlots } from '../querySlots.js';
import { emptyHint, limitParam, problemSchema, recordFilterFrom, recordFilterQuery } from '../schemas.js';
import type { ServerDeps } from '../server.js';
import { singleFlight } from '../singleFlight.js';

const logRow = z.object({
  id: z.number(),
  timestamp: z.string().describe('ISO 8601, UTC'),
  log_level: z.enum(['INFO', 'WARN', 'ERROR']),
  status_code: z.number().nullable(),
  method: z.string().nullable(),
  endpoint: z.string().nullable().describe('Request path without the query string'),
  protocol: z.string().nullable(),
  message: z.string(),
  latency_ms: z.number().nullable().describe('NULL when the log carries no timing'),
  client_ip: z.string().nullable(),
  bytes_sent: z.number().nullable(),
  user_agent: z.string().nullable(),
  referer: z.string().nullable(),
  host: z.string().nullable(),
  source: z.string(),
  job_id: z.string(),
  line_no: z.number(),
  line_count: z.number().describe('Lines of the file in this record (multi-line error records)'),
  raw_log: z.string(),
  layout: z.string().nullable().describe(
    'The layout that read the line: a preset name (GET /formats), `custom` for a pasted log_format / LogFormat; null for records stored before layouts were kept',
  ),
  route: z.string().nullable().describe('The normalised route of the request (`/api/users/{id}`), as the `route` filter and /analytics/endpoints name it; null without a request'),
});

// Named, not written inline, so the dashboard shares its type (src/api/wireTypes.ts).
export const logPage = z.object({
  items: z.array(logRow), next_cursor: z.string().nullable(), hint: emptyHint.describe(`${emptyHint.description ?? ''} (first page only)`),
});

export function logRoutes(deps: ServerDeps & { rawQueries: QuerySlots }): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const shared = singleFlight();
    app.get('/logs', {
      config: { access: 'read' },
      schema: {
        tags: ['search'],
        summary: 'Search stored log records, newest first',
        description: 'Keyset pagination: pass `next_cursor` back as `cursor` for the next page. '
          + `A key runs at most RAW_QUERIES_PER_KEY (here ${deps.config.rawQueriesPerKey || 'unlimited'}) searches over raw rows at once: 429 \`too_many_searches\` beyond. `
          + 'On the embedded database a search with `q` or `endpoint` reads every row of its range, so it needs `start_date` and a range of at most '
          + `EMBEDDED_SCAN_MAX_DAYS (here ${deps.config.embeddedScanMaxDays || 'unbounded'}) days: 400 naming \`start_date\` otherwise.`,
        querystring: recordFilterQuery.extend({
          limit: limitParam(1000, 50).describe('Page size, 1–1000'),
          cursor: z.string().max(200).optional().describe('`next_cursor` of the previous page'),
        }),
        response: {
          200: logPage,
          400: problemSchema,
          429: problemSchema,
        },
      },
    }, async (req) => {
      // Parameters first: a bad request is a 400 whatever the key's searches in flight, and takes no slot.
      const { filter, anchors } = await recordFilterFrom(deps.db, req.query);
      const range = { startMs: filter.startMs, endMs: filter.endMs };
      if (filter.q !== undefined || filter.endpoint !== undefined) {
        checkRecordScan(
          { singleBackend: deps.db.singleBackend, maxDays: deps.config.embeddedScanMaxDays }, 'a search with q or endpoint', filter, anchors, req.query.start_date,
        );
      }
      let cursor;
      try {
        cursor = req.query.cursor ? decodeCursor(req.query.cursor) : undefined;
      } catch (err) {
        if (err instanceof FilterError) throw AppError.badParam(err.param, err.message);
        throw err;
      }
      const page = await deps.rawQueries.run(requestOwner(req).slot, () => shared(req, () => searchLogs(deps.db, filter, { limit: req.query.limit, cursor })));
      // Only a first page: a later empty page is the end of results the user already saw.
      if (page.items.length > 0 || cursor !== undefined) return page;
      return { ...page, hint: await emptyRangeHint(deps.db, range, filter.sources ?? null) };
    });
  };
}

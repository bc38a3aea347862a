import { z } from 'zod';
import { latestRecordMs } from '../analytics/emptyRangeHint.js';
import type { Queryable } from '../db/db.js';
import { LOG_LEVELS } from '../domain/record.js';
import { DATE_FORMS, FilterError, namesLatest, parseDateParam, type DateAnchors } from '../query/filterParams.js';
import { recordFilterOf, sourcesOf, type FilterParams, type RecordFilter } from '../query/recordFilter.js';
import { AppError } from './errors.js';

// PostgreSQL text cannot hold NUL: refuse it at the edge instead of failing in the database.
const text = (max: number) =>
  z.string().max(max, `at most ${max} characters`).refine((v) => !v.includes('\u0000'), 'must not contain NUL characters');

const routeParam = text(2048);

/**
 * The record filter's parameters (src/query/recordFilter.ts), the same on GET /logs, the tail and
 * analytics. `route` is repeated for a list, since a route may hold a comma.
 */
export const recordFilterQuery = z.object({
  start_date: text(64).optional().describe(`Inclusive start: ${DATE_FORMS}; no zone means UTC; default: all data`),
  end_date: text(64).optional().describe('Exclusive end, in the same forms as start_date; default: all data'),
  source: text(1024).optional().describe('One or a comma list of sources'),
  status_code: text(512).optional().describe('`500`, `5xx`, `400-499`, or a comma list of these'),
  level: text(64).optional().describe(`One or a comma list of ${LOG_LEVELS.join(', ')}`),
  route: z.union([routeParam, z.array(routeParam).max(50, 'at most 50 routes')]).optional()
    .describe('A normalised route, as /analytics/endpoints names it (e.g. `/api/users/{id}`); repeat the parameter for several'),
  endpoint: text(2048).optional().describe('Exact request path, or a prefix with a trailing `*` (e.g. `/api/*`)'),
  method: text(256).optional().describe('One or a comma list of HTTP methods (GET, POST, …)'),
  q: text(1024).optional().describe('Case-insensitive substring of the raw line; `%` and `_` are literal'),
});

export type RecordFilterQuery = z.infer<typeof recordFilterQuery>;

/** The record filter of validated parameters, with `latest` in a date looked up first; a bad value is a 400 naming its parameter. */
export async function recordFilterFrom(db: Queryable, q: FilterParams): Promise<{ filter: RecordFilter; anchors: DateAnchors }> {
  try {
    const anchors = await dateAnchors(db, [q.start_date, q.end_date], sourcesOf(q));
    return { filter: recordFilterOf(q, anchors), anchors };
  } catch (err) {
    if (err instanceof FilterError) throw AppError.badParam(err.param, err.message);
    throw err;
  }
}

/**
 * What relative dates count from: the clock, and the newest record (of `sources`, all when null) only
 * when a value names `latest`, so that other requests cost no query.
 */
export async function dateAnchors(db: Queryable, values: (string | undefined)[], sources: readonly string[] | null): Promise<DateAnchors> {
  const nowMs = Date.now();
  if (!values.some(namesLatest)) return { nowMs };
  return { nowMs, latestMs: await latestRecordMs(db, sources) };
}

/** Only in an empty answer: where the data is, or how to store some. */
export const emptyHint = z.string().optional().describe(
  'Present only when the answer is empty: where the stored data is ("no records in this range; data exists from … to …", per source when '
  + 'filtered on sources), or "no data stored yet; upload a log with POST /logs/upload"',
);

/** A date-time parameter (ISO 8601 or relative, see DATE_FORMS), normalised; a bad one is a 400 naming it. */
export function dateParam(name: string, value: string, anchors?: DateAnchors): string {
  try {
    return parseDateParam(name, value, anchors);
  } catch (err) {
    if (err instanceof FilterError) throw AppError.badParam(err.param, err.message);
    throw err;
  }
}

export const limitParam = (max: number, fallback: number) =>
  z.coerce.number().int('must be an integer').min(1, 'must be at least 1').max(max, `must be at most ${max}`).default(fallback)
    .describe(`Page size, 1–${max}`);

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  instance: z.string(),
  code: z.string(),
  invalid_params: z.array(z.object({ name: z.string(), reason: z.string() })).optional(),
}).describe('RFC 9457 problem details (application/problem+json)');

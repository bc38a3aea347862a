import { z } from 'zod';
import type { FactFilter } from '../analytics/facts.js';
import { LOG_LEVELS } from '../domain/record.js';
import {
  FilterError, parseDateParam, parseEndpointFilter, parseLevelFilter, parseSourceFilter, parseStatusFilter, type LogFilters,
} from '../search/filters.js';
import { AppError } from './errors.js';

// PostgreSQL text cannot hold NUL: refuse it at the edge instead of failing in the database.
const text = (max: number) =>
  z.string().max(max, `at most ${max} characters`).refine((v) => !v.includes('\u0000'), 'must not contain NUL characters');

/** Filters shared by GET /logs and, later, analytics and alert rules. */
export const logFilterQuery = z.object({
  start_date: text(64).optional().describe('Inclusive start, ISO 8601 (e.g. 2026-10-01T00:00:00Z); no zone means UTC'),
  end_date: text(64).optional().describe('Exclusive end, ISO 8601'),
  level: text(64).optional().describe(`One or a comma list of ${LOG_LEVELS.join(', ')}`),
  status_code: text(512).optional().describe('`500`, `5xx`, `400-499`, or a comma list of these'),
  endpoint: text(2048).optional().describe('Exact request path, or a prefix with a trailing `*` (e.g. `/api/*`)'),
  source: text(1024).optional().describe('One or a comma list of sources'),
  q: text(1024).optional().describe('Case-insensitive substring of the raw line; `%` and `_` are literal'),
});

export type LogFilterQuery = z.infer<typeof logFilterQuery>;

/** Turns validated query strings into filters; a bad value becomes a 400 naming its parameter. */
export function toLogFilters(q: LogFilterQuery): LogFilters {
  try {
    const f: LogFilters = {
      startDate: q.start_date ? parseDateParam('start_date', q.start_date) : undefined,
      endDate: q.end_date ? parseDateParam('end_date', q.end_date) : undefined,
      levels: q.level ? parseLevelFilter(q.level) : undefined,
      status: q.status_code ? parseStatusFilter(q.status_code) : undefined,
      endpoint: q.endpoint ? parseEndpointFilter(q.endpoint) : undefined,
      sources: q.source ? parseSourceFilter(q.source) : undefined,
      q: q.q === '' ? undefined : q.q,
    };
    if (f.startDate && f.endDate && f.startDate >= f.endDate) throw new FilterError('end_date', 'must be after start_date');
    return f;
  } catch (err) {
    if (err instanceof FilterError) throw AppError.badParam(err.param, err.message);
    throw err;
  }
}

/** The range and source every analytics endpoint takes. */
export const analyticsRangeQuery = z.object({
  start_date: text(64).optional().describe('Inclusive start, ISO 8601; default: all data'),
  end_date: text(64).optional().describe('Exclusive end, ISO 8601; default: all data'),
  source: text(1024).optional().describe('One source; default: all'),
});

export function toFactFilter(q: z.infer<typeof analyticsRangeQuery>): FactFilter {
  try {
    const start = q.start_date ? Date.parse(parseDateParam('start_date', q.start_date)) : null;
    const end = q.end_date ? Date.parse(parseDateParam('end_date', q.end_date)) : null;
    if (start !== null && end !== null && start >= end) throw new FilterError('end_date', 'must be after start_date');
    return { startMs: start, endMs: end, source: q.source === undefined || q.source === '' ? null : q.source };
  } catch (err) {
    if (err instanceof FilterError) throw AppError.badParam(err.param, err.message);
    throw err;
  }
}

/** An ISO 8601 date-time parameter, normalised; a bad one is a 400 naming it. */
export function dateParam(name: string, value: string): string {
  try {
    return parseDateParam(name, value);
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

/** Response bodies of the analytics routes (src/api/routes/analytics.ts), and what their filters mean, for the OpenAPI document. */
import { z } from 'zod';
import { emptyHint } from '../schemas.js';

export const sourceOfTruth = z.enum(['rollups', 'rollups+raw', 'raw'])
  .describe('rollups: from rollups only; rollups+raw: whole minutes from rollups, the seconds at the edges of the range from raw rows; '
    + 'raw: raw rows (a range within a minute, or a filter on `q` or `endpoint`, which only raw rows keep)');

/** What the filter parameters mean on every analytics endpoint. */
export const FILTERS_DOC = 'Filters: `source` (a comma list), `status_code`, `level`, `route` (repeat it for several) and `method` are answered '
  + 'exactly from the rollups, which keep those keys; `q` and `endpoint` only raw rows keep, so with either the whole range is read '
  + 'from the raw rows (`source_of_truth: raw`), within the query time limit (QUERY_TIMEOUT_MS), taking one of the key\'s search '
  + 'slots (429 when all are busy), and on the embedded database only with `start_date` and a range of at most EMBEDDED_SCAN_MAX_DAYS '
  + '(400 naming `start_date` otherwise), as GET /logs bounds them. Error counts count what matched: under `status_code=5xx` the error rate is 100%.';

const latencySchema = z.object({
  count: z.number(),
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  avg: z.number().nullable(),
  max: z.number().nullable(),
  relative_error: z.number().describe('Percentiles are within this relative error of the exact value, and never above max'),
}).describe('Percentiles are null when there is no latency, and under a filter on status_code, level or method over whole hours (histograms are kept per route and per source); count, avg and max remain');

export const summaryBody = z.object({
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
  unique_clients: z.number().nullable().describe(
    'Distinct client addresses; never more than total_records. Null when the filter narrows by status_code, level, route or method over '
    + 'whole hours: distinct addresses are kept per source only, and counting them would read every raw row of the range',
  ),
  unique_clients_error: z.number().nullable().describe('Null with unique_clients; 0: counted exactly; else the relative standard error of the estimate (whole hours and days of many records come from HyperLogLog sketches)'),
  bytes_sent: z.number(),
  first_timestamp: z.string().nullable(),
  last_timestamp: z.string().nullable(),
  source_of_truth: sourceOfTruth,
});

export const trafficBody = z.object({
  interval: z.string(),
  start_date: z.string().nullable(),
  end_date: z.string().nullable(),
  group_by: z.string().nullable(),
  series: z.array(z.object({
    bucket: z.string(),
    count: z.number(),
    errors: z.number().describe('5xx'),
    client_errors: z.number().describe('4xx'),
    p95_ms: z.number().nullable().describe('Null where the bucket has no latency, or under a filter on status_code, level or method with buckets of whole hours (no histogram kept)'),
    p99_ms: z.number().nullable().describe('From the same latency histogram as p95_ms'),
    groups: z.record(z.string(), z.number()).optional(),
  })),
  source_of_truth: sourceOfTruth,
  hint: emptyHint,
});

export const endpointsBody = z.object({
  items: z.array(z.object({
    route: z.string(), count: z.number(), errors: z.number(), error_rate_pct: z.number(),
    p50_ms: z.number().nullable(), p95_ms: z.number().nullable(), p99_ms: z.number().nullable(),
    avg_ms: z.number().nullable(), max_ms: z.number().nullable(), bytes: z.number(),
  })),
  source_of_truth: sourceOfTruth,
  hint: emptyHint,
});

export const statusCodesBody = z.object({
  total: z.number(),
  classes: z.record(z.string(), z.number()),
  items: z.array(z.object({ status_code: z.number(), count: z.number(), pct: z.number() })),
  source_of_truth: sourceOfTruth,
  hint: emptyHint,
});

export const clientsBody = z.object({
  items: z.array(z.object({
    client_ip: z.string(), count: z.number(), errors: z.number(), client_errors: z.number(), error_rate_pct: z.number(), bytes: z.number(),
    count_error_upper_bound: z.number().describe('0: the count is exact; else it may lack up to this many requests'),
  })),
  exact: z.boolean().describe('Every count exact and no address left out could rank higher'),
  source_of_truth: sourceOfTruth,
  hint: emptyHint,
});

// Named, not written inline in the routes, so the dashboard shares their types (src/api/wireTypes.ts).
export const summaryAnswer = summaryBody.extend({ previous: summaryBody.optional(), hint: emptyHint });

export const extentAnswer = z.object({ first_timestamp: z.string().nullable(), last_timestamp: z.string().nullable() });

export const sourcesAnswer = z.object({ items: z.array(z.object({ source: z.string(), records: z.number(), last_bucket: z.string() })) });

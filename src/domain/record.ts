import type { RejectionCode } from './rejection.js';

/** A log severity as the product speaks of it; web-server levels are mapped onto these three. */
export type LogLevel = 'INFO' | 'WARN' | 'ERROR';

export const LOG_LEVELS: readonly LogLevel[] = ['INFO', 'WARN', 'ERROR'];

/**
 * One parsed log record, before storage. Field names are the camelCase of the `logs` columns.
 * A value the line does not carry is `null`, never a made-up default (no latency is not 0 ms).
 */
export interface LogRecord {
  /** Event time in epoch milliseconds; a fraction keeps microseconds (Apache 2.4 error logs). */
  timestamp: number;
  level: LogLevel;
  statusCode: number | null;
  method: string | null;
  /** Request path without the query string, as logged (not decoded). */
  endpoint: string | null;
  protocol: string | null;
  /** Access logs: the request line. Error logs: the message text. */
  message: string;
  latencyMs: number | null;
  clientIp: string | null;
  bytesSent: number | null;
  userAgent: string | null;
  referer: string | null;
  /** Virtual host / server name when the format carries one. */
  host: string | null;
  /**
   * The layout that read the line (a preset name, `custom` for a pasted log_format, `json`): auto mode
   * reads a mixed file line by line with the layouts it detected, and each record says which.
   */
  layout: string | null;
}

/**
 * A stored record as `GET /logs` (and the live tail) answers it: fields named as the columns. The
 * dashboard reads it too (src/ui imports this file's types), so it stays free of any import.
 */
export interface LogRow {
  id: number;
  timestamp: string;
  log_level: LogLevel;
  status_code: number | null;
  method: string | null;
  endpoint: string | null;
  protocol: string | null;
  message: string;
  latency_ms: number | null;
  client_ip: string | null;
  bytes_sent: number | null;
  user_agent: string | null;
  referer: string | null;
  host: string | null;
  source: string;
  job_id: string;
  line_no: number;
  line_count: number;
  raw_log: string;
  /** The layout that read the line (LogRecord.layout); null for records stored before layouts were kept. */
  layout: string | null;
  /** The normalised route of its request (`/api/users/{id}`, src/parse/routes.ts); null for records without a request. */
  route: string | null;
}

/**
 * A parsed line, or why not: `code` from the fixed vocabulary (src/domain/rejection.ts), `reason` its
 * phrase, `detail` where and what in this line (the field or literal, an excerpt of the value, the column).
 */
export type ParseResult = { ok: true; record: LogRecord } | { ok: false; code: RejectionCode; reason: string; detail: string };

/** Access logs: 5xx → ERROR, 4xx → WARN, anything else (including no status) → INFO. */
export function levelFromStatus(status: number | null): LogLevel {
  if (status === null) return 'INFO';
  if (status >= 500) return 'ERROR';
  if (status >= 400) return 'WARN';
  return 'INFO';
}

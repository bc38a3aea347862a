/**
 * Why a line was rejected: one code of a small fixed vocabulary, so that rejections group ("300 lines:
 * no timestamp where the format expects one"), plus a detail that says where and what (the field or
 * literal, an excerpt of the value, the column) and differs from line to line. The phrase never holds
 * a value: a reason that quoted the bad value made 289 distinct reasons of 300 rejected lines.
 *
 * Parsing (src/parse), ingestion (src/ingest: time bounds, line length, database refusals), the API
 * (GET /ingest/jobs/{id}/rejected[/summary]) and the dashboard all speak this vocabulary, so it lives
 * here, free of imports. A new kind of rejection is one added entry; a phrase may be reworded (the API
 * answers with the phrase of a row's code, not the one stored with it), a code never renamed.
 *
 * Listed in the order a reader of a job's groups meets them: the line's shape, then its values, then
 * what the service itself refused.
 */
export const REJECTION_REASONS = {
  layout_mismatch: 'line does not match the format',
  unexpected_trailing_text: 'text after the end of the format',
  not_json: 'not a JSON object where the format expects one',
  no_timestamp: 'no timestamp where the format expects one',
  bad_timestamp: 'unreadable timestamp',
  bad_client: 'not a client address where the format expects one',
  bad_status: 'not a status code where the format expects one',
  bad_number: 'not a number in a numeric field',
  bad_value: 'a value its field cannot hold',
  unknown_level: 'unknown error-log severity level',
  implausible_value: 'duration or size beyond what is plausible (over 30 days or 1 PiB)',
  time_out_of_range: 'timestamp outside 1970–2099',
  time_in_future: "timestamp in the future (more than a day after the upload): the host's clock or the log's time zone is wrong",
  time_decades_early: "timestamp decades before the rest of the file (the host's clock was not set?)",
  line_too_long: 'line longer than MAX_LINE_BYTES (stored truncated)',
  refused_by_database: 'the database refused the record',
  parser_error: 'internal parser error',
} as const;

export type RejectionCode = keyof typeof REJECTION_REASONS;

/** Every code, in the order of REJECTION_REASONS (a tuple, for z.enum). */
export const REJECTION_CODES = Object.keys(REJECTION_REASONS) as [RejectionCode, ...RejectionCode[]];

export function isRejectionCode(value: string): value is RejectionCode {
  return Object.hasOwn(REJECTION_REASONS, value);
}

/**
 * The phrase to show for a stored rejection: its code's, or the stored reason for rows written before
 * codes (their reasons embed the value) and for a code this version does not know.
 */
export function rejectionReason(code: string | null, stored: string): string {
  return code !== null && isRejectionCode(code) ? REJECTION_REASONS[code] : stored;
}

/** One line of GET /ingest/jobs/{id}/rejected (the dashboard reads this type too). */
export interface RejectedLine {
  line_no: number;
  line_count: number;
  /** The phrase of `code`; for lines rejected before codes, the reason as stored (it embeds the value). */
  reason: string;
  /** From the vocabulary above; null for lines rejected before codes. */
  code: string | null;
  /** Where and what in this line; null for lines rejected before codes. */
  detail: string | null;
  raw_log: string;
}

/** One group of GET /ingest/jobs/{id}/rejected/summary: a job's lines rejected for one reason. */
export interface RejectionGroup {
  /** Null for the lines rejected before codes, grouped by their stored reason. */
  code: string | null;
  reason: string;
  /** Lines rejected for it (a multi-line record counts each of its lines, as lines_rejected does). */
  lines: number;
  first_line_no: number;
  /** The detail of the first line (null before codes). */
  example_detail: string | null;
}

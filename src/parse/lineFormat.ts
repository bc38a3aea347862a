import type { LogRecord } from '../domain/record.js';
import type { RejectionCode } from '../domain/rejection.js';

/**
 * Where and why a line was rejected. One object is reused across lines (the hot path allocates only
 * the record), so a format fills it in instead of returning a fresh result; the detail string is
 * built only for a line that fails.
 */
export interface Failure {
  /** Why, from the fixed vocabulary (src/domain/rejection.ts): what rejections are grouped by. */
  code: RejectionCode;
  /** Where and what, for this line: the field or literal, an excerpt of the value, the column. */
  detail: string;
  /** 0-based position reached before the line stopped matching; the best of several candidate formats is the one that got furthest. */
  column: number;
  /**
   * The line fits the format but a value in it is not plausible (a 12-digit request time): a format
   * chain tries no other format, since a catch-all that ignores the field would store the line
   * without its value and without saying why. Set by failWith for the code `implausible_value`.
   */
  implausible: boolean;
}

/** One compiled line format: a preset, a compiled log_format, or an error-log parser. */
export interface LineFormat {
  readonly name: string;
  /** Returns the record, or null after filling `fail`. Never throws. */
  parseLine(text: string, fail: Failure): LogRecord | null;
  /** True when one record may span several lines (nginx error log with FastCGI output). */
  readonly multiLine: boolean;
  /** For multi-line formats: does this line begin a new record? */
  startsRecord(line: string): boolean;
}

export function newFailure(): Failure {
  return { code: 'parser_error', detail: '', column: 0, implausible: false };
}

export function failWith(fail: Failure, code: RejectionCode, detail: string, column: number): null {
  fail.code = code;
  fail.detail = detail;
  fail.column = column;
  fail.implausible = code === 'implausible_value';
  return null;
}

/** A short, printable excerpt of a value for a rejection's detail. */
export function excerpt(text: string, start: number, end: number): string {
  const max = 40;
  return end - start > max ? `${text.substring(start, start + max)}…` : text.substring(start, end);
}

/** A record with every optional field null; all records share this shape (keeps property access monomorphic). */
export function emptyRecord(): LogRecord {
  return {
    timestamp: NaN,
    level: 'INFO',
    statusCode: null,
    method: null,
    endpoint: null,
    protocol: null,
    message: '',
    latencyMs: null,
    clientIp: null,
    bytesSent: null,
    userAgent: null,
    referer: null,
    host: null,
    layout: null,
  };
}

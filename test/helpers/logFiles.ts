import fs from 'node:fs';

/** Lines of a file as a reader counts them: split on \n, a final unterminated line counts. */
export function readLines(file: string): string[] {
  const text = fs.readFileSync(file, 'latin1');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

export interface CombinedFields {
  timeMs: number;
  status: number;
  path: string;
}

/**
 * An independent, deliberately simple reading of a combined-format line for cross-checking the
 * product's answers (shares no code with src/parse).
 */
export function readCombined(line: string): CombinedFields | undefined {
  const m = /^\S+ \S+ \S+ \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\] "\S+ (\S+)[^"]*" (\d{3}) /.exec(line);
  if (!m) return undefined;
  const offsetMin = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const timeMs = Date.UTC(Number(m[3]), MONTHS[m[2]!] ?? NaN, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offsetMin * 60_000;
  return { timeMs, status: Number(m[11]), path: m[10]!.split('?')[0]! };
}

/**
 * The status code of an access-log line as a person reads it: the three digits right after the first
 * quoted field (the request line), whatever comes before it (client, vhost, time, NPMplus fields).
 * Shares no code with src/parse; undefined for lines that are not access-log lines.
 */
export function readAccessStatus(line: string): number | undefined {
  const m = /"(?:[^"\\]|\\.)*" (\d{3})(?=[\s]|$)/.exec(line);
  return m ? Number(m[1]) : undefined;
}

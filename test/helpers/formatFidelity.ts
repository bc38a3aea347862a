/**
 * Compares what a parser (or an upload) stored for each line of a bench/formatCorpus.ts file with the
 * line's truth, field by field, and sums the differences up per field so a failure reads as a
 * diagnosis: "latencyMs wrong on 300/300 (line 1: got null, want 319)".
 */
import type { CorpusLine, TruthRecord } from '../../bench/formatCorpus.js';

/** A stored record in the truth's terms (from a LogRecord or a `logs` row). */
export type Observed = Omit<TruthRecord, 'query'>;

/** What became of one line: a record, or a rejection with its reason. */
export type Outcome = { record: Observed } | { rejected: string };

/** Latency is compared to within half a microsecond: `%D` µs / 1000 is not exact in binary. */
const LATENCY_TOLERANCE_MS = 0.0005;

export const COMPARED_FIELDS: readonly (keyof Observed)[] = [
  'timestampMs', 'status', 'latencyMs', 'bytes', 'method', 'endpoint', 'protocol', 'userAgent', 'referer', 'host', 'client',
];

export interface FieldProblem {
  field: keyof Observed | 'rejected';
  summary: string;
}

function same(field: keyof Observed, got: unknown, want: unknown): boolean {
  if (field === 'latencyMs' && typeof got === 'number' && typeof want === 'number') return Math.abs(got - want) <= LATENCY_TOLERANCE_MS;
  return got === want;
}

/** Every field that differs from the truth on some line, with how often and the first such line; empty when all is right. */
export function fidelityProblems(lines: readonly CorpusLine[], outcomes: readonly Outcome[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const rejected = outcomes.flatMap((o, i) => ('rejected' in o ? [{ lineNo: i + 1, reason: o.rejected }] : []));
  if (rejected.length > 0) {
    problems.push({ field: 'rejected', summary: `rejected ${rejected.length}/${lines.length} (line ${rejected[0]!.lineNo}: ${rejected[0]!.reason})` });
  }
  for (const field of COMPARED_FIELDS) {
    let wrong = 0;
    let first = '';
    lines.forEach((line, i) => {
      const o = outcomes[i];
      if (o === undefined || !('record' in o)) return;
      const got = o.record[field];
      const want = line.truth[field];
      if (same(field, got, want)) return;
      if (wrong++ === 0) first = `line ${i + 1} (${line.format}): got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`;
    });
    if (wrong > 0) problems.push({ field, summary: `${field} wrong on ${wrong}/${lines.length} (${first})` });
  }
  return problems;
}

/** Words a detection warning uses for a field it is unsure of. */
const FIELD_WORDS: Record<FieldProblem['field'], RegExp> = {
  rejected: /$^/, // a rejection is never excused by a warning: the line is not stored
  timestampMs: /time/i,
  status: /status/i,
  latencyMs: /latency|request.?time|duration|%D|%T/i,
  bytes: /bytes|size/i,
  method: /request|method/i,
  endpoint: /request|endpoint|path|uri/i,
  protocol: /request|protocol/i,
  userAgent: /user.?agent/i,
  referer: /referr?er/i,
  host: /host|vhost|server.?name/i,
  client: /client|remote.?addr/i,
};

/** True when `warning` names every field of `problems` (issue 14: "or tells the user it could not decide"). */
export function warningNamesEvery(warning: string | undefined, problems: readonly FieldProblem[]): boolean {
  return warning !== undefined && problems.every((p) => FIELD_WORDS[p.field].test(warning));
}

/**
 * The one place a record filter becomes SQL. A target is a kind of table the question is asked of:
 * raw records, or a rollup grain, each with the fields it keeps. A filter field a target does not
 * keep is refused (UnsupportedFilterError, naming the parameter), never ignored: a rollup without
 * the route cannot say how many 5xx one route had, and an answer that left the route out would be
 * wrong without saying so. Callers that can choose pick the coarsest target that `answers`.
 */
import { escapeLike, FilterError } from './filterParams.js';
import { FILTER_FIELDS, filterFields, type FilterField, type RecordFilter } from './recordFilter.js';

export interface FilterTarget {
  /** What a refusal calls it. */
  readonly name: string;
  /** The time column: a record's timestamp, or the start of a rollup's bucket. */
  readonly time: 'timestamp' | 'bucket';
  readonly fields: readonly FilterField[];
}

/** The `logs` table: every field. */
export const RECORDS: FilterTarget = { name: 'raw records', time: 'timestamp', fields: FILTER_FIELDS };
/** rollups_1m / _1h / _1d: the full key (source, route, method, status code, level). */
export const FULL_ROLLUPS: FilterTarget = { name: 'the rollups', time: 'bucket', fields: ['source', 'status_code', 'level', 'route', 'method'] };
/** route_rollups_*: per source and route. */
export const ROUTE_ROLLUPS: FilterTarget = { name: 'the per-route rollups', time: 'bucket', fields: ['source', 'route'] };
/** source_rollups_*, client tops and client sketches: per source only. */
export const SOURCE_ROLLUPS: FilterTarget = { name: 'the per-source rollups', time: 'bucket', fields: ['source'] };

export class UnsupportedFilterError extends FilterError {}

/** The fields of `f` that `target` does not keep. */
export function unansweredFields(f: RecordFilter, target: FilterTarget): FilterField[] {
  return filterFields(f).filter((k) => !target.fields.includes(k));
}

export function answers(target: FilterTarget, f: RecordFilter): boolean {
  return unansweredFields(f, target).length === 0;
}

export interface CompileOptions {
  /** Only these fields (default: all that are set). */
  fields?: readonly FilterField[];
  /** The time range to bound by instead of the filter's own; `false`: no time bound. */
  range?: { fromMs: number | null; toMs: number | null } | false;
  /** A table alias to qualify the columns with. */
  alias?: string;
}

/**
 * WHERE conditions (ANDed) for the filter on `target`; every value is appended to `params` as a
 * parameter, never spliced into the SQL. Throws UnsupportedFilterError for a field the target does not keep.
 */
export function filterConditions(f: RecordFilter, target: FilterTarget, params: unknown[], opts: CompileOptions = {}): string[] {
  const only = opts.fields;
  const wanted = (k: FilterField): boolean => only === undefined || only.includes(k);
  const missing = unansweredFields(f, target).filter(wanted);
  if (missing.length > 0) {
    const k = missing[0]!;
    throw new UnsupportedFilterError(k, `cannot be answered from ${target.name}, which keep ${target.fields.join(', ')}`);
  }
  const col = (name: string): string => (opts.alias === undefined ? name : `${opts.alias}.${name}`);
  const p = (v: unknown, cast = ''): string => {
    params.push(v);
    return `$${params.length}${cast}`;
  };
  const where: string[] = [];
  const range = opts.range === undefined ? { fromMs: f.startMs, toMs: f.endMs } : opts.range;
  if (range !== false) {
    const iso = (ms: number): string => new Date(ms).toISOString();
    if (range.fromMs !== null) where.push(`${col(target.time)} >= ${p(iso(range.fromMs), '::timestamptz')}`);
    if (range.toMs !== null) where.push(`${col(target.time)} < ${p(iso(range.toMs), '::timestamptz')}`);
  }
  if (f.sources && wanted('source')) where.push(`${col('source')} = ANY(${p(f.sources, '::text[]')})`);
  if (f.levels && wanted('level')) {
    where.push(`${col('log_level')} = ANY(${p(f.levels, '::text[]')})`);
    // Implied by the line above, but as a literal it lets the planner use the partial level index.
    if (!f.levels.includes('INFO')) where.push(`${col('log_level')} <> 'INFO'`);
  }
  if (f.status && wanted('status_code')) {
    const exact = f.status.filter((t) => t.from === t.to).map((t) => t.from);
    const terms = f.status.filter((t) => t.from !== t.to)
      .map((r) => `${col('status_code')} BETWEEN ${p(r.from, '::int')} AND ${p(r.to, '::int')}`);
    if (exact.length) terms.push(`${col('status_code')} = ANY(${p(exact, '::int[]')})`);
    where.push(terms.length === 1 ? terms[0]! : `(${terms.join(' OR ')})`);
    // Implied too where every code asked is an error: the partial status indexes' literal.
    if (f.status.every((t) => t.from >= 400)) where.push(`${col('status_code')} >= 400`);
  }
  if (f.routes && wanted('route')) where.push(`${col('route')} = ANY(${p(f.routes, '::text[]')})`);
  if (f.methods && wanted('method')) where.push(`${col('method')} = ANY(${p(f.methods, '::text[]')})`);
  if (f.endpoint && wanted('endpoint')) {
    where.push(f.endpoint.prefix
      ? `${col('endpoint')} LIKE ${p(`${escapeLike(f.endpoint.value)}%`)}`
      : `${col('endpoint')} = ${p(f.endpoint.value)}`);
  }
  if (f.q !== undefined && wanted('q')) where.push(`${col('raw_log')} ILIKE ${p(`%${escapeLike(f.q)}%`)}`);
  return where;
}

/**
 * What the alert pages know of rules: the vocabulary of the rule form (kinds, operators, the fields
 * each kind uses), the body the form sends, and a rule's condition in words. The API's answers are
 * its own types (src/api/wireTypes.ts, types only: no zod or server code reaches the bundle).
 */
import type { BacktestAnswer, Delivery, HistoryEntry, RuleState, Silence, StoredRule } from '../../../api/wireTypes.js';


export const KINDS = ['count', 'ratio', 'latency', 'absence', 'anomaly', 'new_value'] as const;
export const OPERATORS = ['>', '>=', '<', '<='] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const PERCENTILES = ['p50', 'p75', 'p90', 'p95', 'p99'] as const;
export const NEW_VALUE_FIELDS = ['route', 'status_code', 'source'] as const;
export const CHANNEL_TYPES = ['webhook', 'slack', 'alertmanager'] as const;
export const FILTER_KEYS = ['status_code', 'level', 'route', 'method', 'endpoint', 'source', 'q'] as const;

export type Kind = (typeof KINDS)[number];
export type FilterKey = (typeof FILTER_KEYS)[number];

/** A rule's filter: the record filter's parameters, as GET /logs takes them; `route` may be a list (a route can hold a comma). */
export type RuleFilter = Partial<Record<Exclude<FilterKey, 'route'>, string>> & { route?: string | string[] };

/** A filter value as one line of text: a route list joined for reading. */
export function filterText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

export interface Channel { type: (typeof CHANNEL_TYPES)[number]; url: string }

/** A rule as sent to the API: optional fields are left out, not sent empty. */
export interface RuleBody {
  name: string;
  kind: Kind;
  filter: RuleFilter;
  operator?: string;
  threshold?: number;
  recover_threshold?: number;
  window: string;
  for: string;
  severity: string;
  labels: Record<string, string>;
  notify: Channel[];
  notify_historical: boolean;
  enabled: boolean;
  min_requests?: number;
  percentile?: string;
  sensitivity?: number;
  min_history?: number;
  field?: string;
}

/** The API's answers (src/api/wireTypes.ts): a stored rule is a rule body with its id, times and evaluation. */
export type { BacktestAnswer, Delivery, HistoryEntry, RuleState, Silence, StoredRule };

/** Which kinds use which fields (the API refuses the kind-specific ones on other kinds). */
export const USES: Record<string, readonly Kind[]> = {
  operator: ['count', 'ratio', 'latency', 'absence', 'anomaly'],
  threshold: ['count', 'ratio', 'latency', 'absence'],
  recover_threshold: ['count', 'ratio', 'latency'],
  min_requests: ['ratio'],
  percentile: ['latency'],
  sensitivity: ['anomaly'],
  min_history: ['anomaly'],
  field: ['new_value'],
};

export function uses(kind: Kind, field: string): boolean {
  const kinds = USES[field];
  return kinds === undefined || kinds.includes(kind);
}

/** The unit of a kind's value, for labels and numbers. */
export function valueUnit(kind: Kind): string {
  switch (kind) {
    case 'ratio': return '%';
    case 'latency': return 'ms';
    case 'anomaly': return 'σ';
    case 'new_value': return 'new values';
    default: return 'records';
  }
}

export function fmtValue(kind: Kind, v: number | null): string {
  if (v === null) return '–';
  const n = Number.isInteger(v) ? String(v) : v.toFixed(2);
  return kind === 'count' || kind === 'absence' ? n : `${n} ${valueUnit(kind)}`;
}

/** "status 5xx, source web" — the records a rule looks at. */
export function filterWords(f: RuleBody['filter']): string {
  const parts: string[] = [];
  if (f.status_code) parts.push(f.status_code);
  if (f.level) parts.push(f.level);
  if (f.route) parts.push(filterText(f.route)!);
  if (f.method) parts.push(f.method);
  if (f.endpoint) parts.push(f.endpoint);
  if (f.source) parts.push(`source ${f.source}`);
  if (f.q) parts.push(`“${f.q}”`);
  return parts.join(' ');
}

/** The condition in words: "5xx count > 50 in 5m", "p95 latency of /api/x > 800 ms in 5m for 2m". */
export function conditionWords(r: RuleBody): string {
  const what = filterWords(r.filter);
  const of = what ? ` of ${what}` : '';
  const op = r.operator ?? (r.kind === 'absence' ? '<' : '>');
  let text: string;
  switch (r.kind) {
    case 'count': text = `${what || 'record'} count ${op} ${r.threshold ?? '?'} in ${r.window}`; break;
    case 'ratio': text = `${what || 'matching'} share ${op} ${r.threshold ?? '?'} % of requests in ${r.window}`; break;
    case 'latency': text = `${r.percentile ?? 'p95'} latency${of} ${op} ${r.threshold ?? '?'} ms in ${r.window}`; break;
    case 'absence': text = `fewer than ${r.threshold ?? '?'} ${what || 'records'} in ${r.window}`; break;
    case 'anomaly': text = `${what || 'record'} count ${op === '<' ? 'drops' : 'spikes'} ${r.sensitivity ?? 3}σ from its baseline in ${r.window}`; break;
    case 'new_value': text = `a new ${r.field ?? '?'} appears${of}`; break;
  }
  return r.for && r.for !== '0m' && r.for !== '0s' ? `${text} for ${r.for}` : text;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5m` → 300000; null when not a duration (the API's syntax, src/domain/duration.ts). */
export function durationMs(v: string): number | null {
  const m = /^(\d{1,6})(s|m|h|d)$/.exec(v);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : null;
}

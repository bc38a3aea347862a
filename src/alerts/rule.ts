/**
 * What an alert rule is: its fields, their defaults, and the checks that need more than one field.
 * Pure: the API validates request bodies with `ruleSchema`, the store keeps what it returns, and
 * the evaluator reads the same type.
 */
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { FULL_ROLLUPS, unansweredFields } from '../query/compileFilter.js';
import { FilterError } from '../query/filterParams.js';
import { recordFilterOf, type RecordFilter } from '../query/recordFilter.js';

export const RULE_KINDS = ['count', 'ratio', 'latency', 'absence', 'anomaly', 'new_value'] as const;
export const OPERATORS = ['>', '>=', '<', '<='] as const;
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const PERCENTILES = ['p50', 'p75', 'p90', 'p95', 'p99'] as const;
/** What a `new_value` rule watches for first appearances of. */
export const NEW_VALUE_FIELDS = ['route', 'status_code', 'source'] as const;

const MINUTE_MS = 60_000;
/** Windows are whole minutes: the per-minute rollups answer them. */
const MAX_WINDOW_MS = 7 * 86_400_000;

const duration = z.string().max(16).refine((v) => parseDuration(v) !== null, 'expected a duration such as 30s, 5m, 1h or 1d');
const name = z.string().trim().min(1, 'must not be empty').max(200).refine((v) => !/[\u0000-\u001f]/.test(v), 'must not contain control characters');
const httpUrl = z.string().max(2048).url('expected an http(s) URL').refine((v) => /^https?:\/\//i.test(v), 'expected an http(s) URL');

const routeValue = z.string().max(2048);

/**
 * Which records a rule counts: the record filter's parameters (src/query/recordFilter.ts) without the
 * time range, with the same syntax and meaning as GET /logs. Stored as given; parsed by `loadedRule`.
 */
export const ruleFilterSchema = z.object({
  status_code: z.string().max(512).optional().describe('`500`, `5xx`, `400-499`, or a comma list of these'),
  level: z.string().max(64).optional().describe('One or a comma list of INFO, WARN, ERROR'),
  route: z.union([routeValue, z.array(routeValue).max(50)]).optional()
    .describe('A normalised route (e.g. `/api/users/{id}`), or a list of them'),
  endpoint: z.string().max(2048).optional().describe('Exact request path, or a prefix with a trailing `*`'),
  method: z.string().max(256).optional().describe('One or a comma list of HTTP methods (GET, POST, …)'),
  source: z.string().max(1024).optional().describe('One or a comma list of sources'),
  q: z.string().min(1).max(1024).optional().describe('Case-insensitive substring of the raw line'),
}).strict();

/** Where a notification goes; `type` picks the channel. */
export const channelSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('webhook'), url: httpUrl }).strict().describe('POSTs JSON, signed in X-LogInsights-Signature'),
  z.object({ type: z.literal('slack'), url: httpUrl }).strict().describe('A Slack incoming-webhook URL'),
  z.object({ type: z.literal('alertmanager'), url: httpUrl }).strict().describe('A Prometheus Alertmanager base URL (alerts go to /api/v2/alerts)'),
]);

const ruleFields = z.object({
  name,
  kind: z.enum(RULE_KINDS),
  filter: ruleFilterSchema.default({}),
  operator: z.enum(OPERATORS).optional().describe(
    'Compares the value with `threshold`. Required for count, ratio and latency rules; absence: `<` or omitted; ' +
    'anomaly: `>` spikes (when omitted) or `<` drops; new_value: not used',
  ),
  threshold: z.number().finite().optional().describe('count: records; ratio: percent; latency: ms; absence: fewer than this many records'),
  recover_threshold: z.number().finite().optional().describe('Resolve only once the value is back past this (hysteresis); default: the threshold'),
  window: duration.default('5m').describe('Event-time window, whole minutes from 1m to 7d'),
  for: duration.default('0m').describe('How long the condition must hold before the alert fires'),
  severity: z.enum(SEVERITIES).default('warning'),
  labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/, 'label names are letters, digits and _'), z.string().max(1024))
    .default({}).refine((l) => Object.keys(l).length <= 32, 'at most 32 labels'),
  notify: z.array(channelSchema).max(16).default([]),
  notify_historical: z.boolean().default(false).describe('Also notify episodes found in old data (they are always recorded)'),
  enabled: z.boolean().default(true),
  min_requests: z.number().int().min(0).optional().describe('ratio: no alert while the window has fewer requests than this (default 20)'),
  percentile: z.enum(PERCENTILES).optional().describe('latency: which percentile (default p95)'),
  sensitivity: z.number().positive().max(100).optional().describe('anomaly: robust standard deviations (median/MAD) from the baseline (default 3)'),
  min_history: z.number().int().min(3).max(30).optional()
    .describe('anomaly: baseline windows with data needed before it can fire, of 30 (the same window 1–24 h and 2–7 days earlier; default 12)'),
  field: z.enum(NEW_VALUE_FIELDS).optional().describe('new_value: the field whose first appearances fire'),
});

type RuleFields = z.infer<typeof ruleFields>;

/** Checks between fields; each issue names its field. */
function checkRule(r: RuleFields, ctx: z.RefinementCtx): void {
  const issue = (path: string[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
  const windowMs = parseDuration(r.window);
  if (windowMs !== null && (windowMs % MINUTE_MS !== 0 || windowMs < MINUTE_MS || windowMs > MAX_WINDOW_MS)) {
    issue(['window'], 'must be whole minutes, from 1m to 7d');
  }
  let filter: RecordFilter | undefined;
  try {
    filter = recordFilterOf(r.filter);
  } catch (err) {
    if (err instanceof FilterError) issue(['filter', err.param], err.message);
    else throw err;
  }
  const needsThreshold = r.kind === 'count' || r.kind === 'ratio' || r.kind === 'latency' || r.kind === 'absence';
  if (needsThreshold && r.threshold === undefined) issue(['threshold'], `required for a ${r.kind} rule`);
  if (needsThreshold && r.kind !== 'absence' && r.operator === undefined) issue(['operator'], `required for a ${r.kind} rule`);
  if (r.kind === 'absence' && r.operator !== undefined && r.operator !== '<') issue(['operator'], "an absence rule fires on fewer records: '<' or none");
  if (r.kind === 'ratio' && r.threshold !== undefined && (r.threshold < 0 || r.threshold > 100)) issue(['threshold'], 'a ratio is a percentage, 0 to 100');
  if (r.kind === 'new_value' && r.field === undefined) issue(['field'], 'required for a new_value rule: route, status_code or source');
  if (r.kind === 'new_value' && filter !== undefined) {
    for (const key of unansweredFields(filter, FULL_ROLLUPS)) {
      issue(['filter', key], `a new_value rule reads the rollups: filter by ${FULL_ROLLUPS.fields.join(', ')}`);
    }
  }
  if (r.kind === 'anomaly' && r.operator !== undefined && r.operator !== '>' && r.operator !== '<') issue(['operator'], "anomaly: '>' (spikes) or '<' (drops)");
  const only: [keyof RuleFields, RuleFields['kind']][] = [
    ['min_requests', 'ratio'], ['percentile', 'latency'], ['sensitivity', 'anomaly'], ['min_history', 'anomaly'], ['field', 'new_value'],
  ];
  for (const [key, kind] of only) if (r[key] !== undefined && r.kind !== kind) issue([key], `only for a ${kind} rule`);
  if (r.recover_threshold !== undefined && r.threshold !== undefined && r.operator !== undefined) {
    const above = r.operator === '>' || r.operator === '>=';
    if (above ? r.recover_threshold > r.threshold : r.recover_threshold < r.threshold) {
      issue(['recover_threshold'], `must be on the resolved side of the threshold (${above ? '≤' : '≥'} ${r.threshold})`);
    }
  }
}

/** A rule as a client sends it (POST, PUT; PATCH merges onto the stored rule first). */
export const ruleSchema = ruleFields.superRefine(checkRule);

export type Rule = z.infer<typeof ruleSchema>;

/** A new rule (POST): a rule, and where its evaluation over stored data starts, if it has one. Not part of the rule. */
export const newRuleSchema = ruleFields.extend({
  evaluate_from: z.string().max(64).optional().describe(
    'Event time (ISO 8601, as start_date in GET /logs): evaluate the new rule over the records stored from then on and record ' +
    'its episodes in history, in the background (see `evaluation`). Without it, evaluation starts at the rule\'s creation.',
  ),
}).superRefine(checkRule);

/**
 * How a new rule's `evaluate_from` went (src/alerts/ruleEvaluation.ts): pending from the rule's
 * INSERT, running, then done or failed, with the event time evaluated and the part left out.
 */
export const ruleEvaluationSchema = z.object({
  status: z.enum(['pending', 'running', 'done', 'failed']),
  requested_from: z.string().describe('evaluate_from, as given when the rule was created'),
  evaluated_from: z.string().nullable().optional()
    .describe('Event time of the first record evaluated; null when there was none to evaluate. Absent while pending'),
  evaluated_to: z.string().nullable().optional().describe('Event time of the last record evaluated (its windows up to now are evaluated too)'),
  steps: z.number().optional().describe('Windows evaluated, one per minute of event time'),
  episodes: z.number().optional().describe('Episodes recorded in history for the first time'),
  not_evaluated: z.object({ from: z.string(), to: z.string(), reason: z.string() }).nullable().optional()
    .describe('Stored event time after evaluate_from that was left out, and why; null when none was'),
  error: z.string().optional().describe('Why a failed evaluation failed'),
});

export type RuleEvaluation = z.infer<typeof ruleEvaluationSchema>;

/** A rule as the API returns it. */
export const storedRuleSchema = ruleFields.extend({
  id: z.number(), created_at: z.string(), updated_at: z.string(),
  evaluation: ruleEvaluationSchema.nullable().describe("Its evaluation over stored data (`evaluate_from`); null when it was created without one"),
});

/**
 * A rule with its filter parsed: what the store reads and evaluation takes. Parsed once, where the
 * rule is read or validated, so that evaluation ticks and backtest chunks compile it without re-parsing.
 */
export interface LoadedRule extends Rule {
  readonly recordFilter: RecordFilter;
}

/** The rule with its filter parsed (a valid rule's filter parses: checkRule has parsed it). */
export function loadedRule<R extends Rule>(rule: R): R & LoadedRule {
  return { ...rule, recordFilter: recordFilterOf(rule.filter) };
}

export interface StoredRule extends LoadedRule {
  id: number;
  created_at: string;
  updated_at: string;
  evaluation: RuleEvaluation | null;
}

/** The rule's kind-specific settings with their defaults applied: what the evaluator uses. */
export function effectiveSettings(r: Rule): {
  operator: (typeof OPERATORS)[number]; windowMs: number; forMs: number; minRequests: number; percentile: (typeof PERCENTILES)[number];
  sensitivity: number; minHistory: number;
} {
  return {
    operator: r.operator ?? (r.kind === 'absence' ? '<' : '>'),
    windowMs: parseDuration(r.window)!,
    forMs: parseDuration(r.for)!,
    minRequests: r.min_requests ?? 20,
    percentile: r.percentile ?? 'p95',
    sensitivity: r.sensitivity ?? 3,
    minHistory: r.min_history ?? 12,
  };
}

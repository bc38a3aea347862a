import type { Queryable } from '../db/db.js';
import { loadedRule, type Rule, type RuleEvaluation, type StoredRule } from './rule.js';

interface RuleRow {
  id: number;
  definition: Rule;
  created_at: string;
  updated_at: string;
  evaluation: RuleEvaluation | null;
}

const COLUMNS = 'id, definition, created_at, updated_at, evaluation';

/** A row as a rule, its filter parsed here, once per read, for evaluation (`definition` is stored as the client gave it). */
function stored(r: RuleRow): StoredRule {
  return { id: r.id, ...loadedRule(r.definition), created_at: r.created_at, updated_at: r.updated_at, evaluation: r.evaluation };
}

/** The definition as the client gave it: a loaded rule's parsed filter is not stored. */
function definitionJson(rule: Rule): string {
  const { recordFilter: _parsed, ...definition } = rule as Rule & { recordFilter?: unknown };
  return JSON.stringify(definition);
}

/**
 * Saves a validated rule; returns it with its id. With `evaluateFromMs`, its evaluation over stored
 * data is pending from this INSERT on (src/alerts/ruleEvaluation.ts), so a crash right after it loses nothing.
 */
export async function createRule(db: Queryable, rule: Rule, evaluateFromMs?: number): Promise<StoredRule> {
  const evaluation: RuleEvaluation | null = evaluateFromMs === undefined ? null : { status: 'pending', requested_from: new Date(evaluateFromMs).toISOString() };
  const res = await db.query<RuleRow>(
    `INSERT INTO alert_rules (kind, enabled, definition, evaluation) VALUES ($1, $2, $3::jsonb, $4::jsonb) RETURNING ${COLUMNS}`,
    [rule.kind, rule.enabled, definitionJson(rule), evaluation && JSON.stringify(evaluation)],
  );
  return stored(res.rows[0]!);
}

/** Every rule, oldest first; only the enabled ones when asked. */
export async function listRules(db: Queryable, opts: { enabledOnly?: boolean } = {}): Promise<StoredRule[]> {
  const res = await db.query<RuleRow>(`SELECT ${COLUMNS} FROM alert_rules ${opts.enabledOnly ? 'WHERE enabled' : ''} ORDER BY id`);
  return res.rows.map(stored);
}

export async function getRule(db: Queryable, id: number): Promise<StoredRule | null> {
  const res = await db.query<RuleRow>(`SELECT ${COLUMNS} FROM alert_rules WHERE id = $1`, [id]);
  return res.rows[0] ? stored(res.rows[0]) : null;
}

/** Replaces a rule's definition (PUT, and PATCH after merging); null when there is no such rule. */
export async function replaceRule(db: Queryable, id: number, rule: Rule): Promise<StoredRule | null> {
  const res = await db.query<RuleRow>(
    `UPDATE alert_rules SET kind = $2, enabled = $3, definition = $4::jsonb, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, rule.kind, rule.enabled, definitionJson(rule)],
  );
  return res.rows[0] ? stored(res.rows[0]) : null;
}

/** True when the rule existed. */
export async function deleteRule(db: Queryable, id: number): Promise<boolean> {
  const res = await db.query('DELETE FROM alert_rules WHERE id = $1', [id]);
  return res.rowCount > 0;
}

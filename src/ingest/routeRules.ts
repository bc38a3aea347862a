import type { Queryable } from '../db/db.js';
import type { RouteRule } from '../parse/routes.js';

export interface StoredRouteRule extends RouteRule {
  id: number;
  position: number;
  created_at: string;
}

/** The user's route rules in the order they are tried. */
export async function listRouteRules(db: Queryable): Promise<StoredRouteRule[]> {
  const res = await db.query<StoredRouteRule>('SELECT id, pattern, template, position, created_at FROM route_rules ORDER BY position, id');
  return res.rows;
}

/** Adds a rule after the existing ones; null when a rule with the same pattern exists. */
export async function addRouteRule(db: Queryable, rule: RouteRule): Promise<StoredRouteRule | null> {
  const res = await db.query<StoredRouteRule>(
    `INSERT INTO route_rules (pattern, template, position)
     VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM route_rules))
     ON CONFLICT (pattern) DO NOTHING
     RETURNING id, pattern, template, position, created_at`,
    [rule.pattern, rule.template],
  );
  return res.rows[0] ?? null;
}

/** True when the rule existed. */
export async function deleteRouteRule(db: Queryable, id: number): Promise<boolean> {
  const res = await db.query('DELETE FROM route_rules WHERE id = $1', [id]);
  return res.rowCount > 0;
}

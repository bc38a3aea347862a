import { whereClause, type Queryable } from '../db/db.js';
import { collectEvidence, type Evidence } from './evidence.js';
import type { StoredRule } from './rule.js';
import type { Episode } from './stateMachine.js';

export interface HistoryEntry {
  id: number;
  rule_id: number;
  rule_name: string;
  severity: string;
  state: 'firing' | 'resolved';
  value: number;
  peak: number;
  threshold: number | null;
  window_start: string;
  window_end: string;
  /** Event time it fired: the end of the window that fired. */
  fired_at: string;
  resolved_at: string | null;
  detected_at: string;
  resolved_detected_at: string | null;
  evidence: Evidence | null;
  /** Found while a silence matched its rule: recorded, not notified. */
  silenced: boolean;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Records episodes: a new one is inserted, a known one (same rule and firing window) gets its peak
 * and, once it resolved, its resolve time. Evaluating the same data twice therefore changes nothing.
 * A new episode gets its evidence from the raw rows of its firing window. Returns the entries as
 * they now stand, and the ids of the new ones.
 */
export async function recordEpisodes(db: Queryable, rule: StoredRule, episodes: readonly Episode[]): Promise<{ entries: HistoryEntry[]; newIds: number[] }> {
  if (episodes.length === 0) return { entries: [], newIds: [] };
  const res = await db.query<HistoryEntry & { inserted: boolean }>(
    `INSERT INTO alert_history AS h (rule_id, rule_name, severity, state, value, peak, threshold, window_start, window_end, resolved_at, resolved_detected_at)
     SELECT $1, $2, $3, CASE WHEN e.resolved_at IS NULL THEN 'firing' ELSE 'resolved' END, e.value, e.peak, $4,
            e.window_start, e.window_end, e.resolved_at, CASE WHEN e.resolved_at IS NULL THEN NULL ELSE now() END
     FROM unnest($5::timestamptz[], $6::timestamptz[], $7::float8[], $8::float8[], $9::timestamptz[])
       AS e(window_start, window_end, value, peak, resolved_at)
     ON CONFLICT (rule_id, window_start) DO UPDATE SET
       peak = CASE WHEN $10 THEN greatest(h.peak, EXCLUDED.peak) ELSE least(h.peak, EXCLUDED.peak) END,
       state = CASE WHEN h.resolved_at IS NOT NULL OR EXCLUDED.resolved_at IS NOT NULL THEN 'resolved' ELSE 'firing' END,
       resolved_at = coalesce(h.resolved_at, EXCLUDED.resolved_at),
       resolved_detected_at = coalesce(h.resolved_detected_at, EXCLUDED.resolved_detected_at)
     RETURNING *, (xmax = 0) AS inserted`,
    [
      rule.id, rule.name, rule.severity, rule.threshold ?? null,
      episodes.map((e) => iso(e.windowStartMs)), episodes.map((e) => iso(e.windowEndMs)),
      episodes.map((e) => e.value), episodes.map((e) => e.peak), episodes.map((e) => iso(e.resolvedAtMs)),
      rule.operator === undefined || rule.operator === '>' || rule.operator === '>=',
    ],
  );
  const newIds: number[] = [];
  const entries: HistoryEntry[] = [];
  for (const { inserted, ...row } of res.rows) {
    const entry = normalised(row);
    if (inserted) {
      newIds.push(entry.id);
      entry.evidence = await collectEvidence(db, rule, Date.parse(entry.window_start), Date.parse(entry.window_end));
      await db.query('UPDATE alert_history SET evidence = $2::jsonb WHERE id = $1', [entry.id, JSON.stringify(entry.evidence)]);
    }
    entries.push(entry);
  }
  return { entries, newIds };
}

/** Times as ISO 8601 strings, whatever the driver gave; `fired_at` is the end of the window that fired. */
function normalised(r: Omit<HistoryEntry, 'fired_at'>): HistoryEntry {
  const time = (v: string | null): string | null => (v === null ? null : new Date(v).toISOString());
  return {
    ...r,
    window_start: time(r.window_start)!, window_end: time(r.window_end)!, fired_at: time(r.window_end)!, resolved_at: time(r.resolved_at),
    detected_at: time(r.detected_at)!, resolved_detected_at: time(r.resolved_detected_at),
  };
}

/** History, the most recently detected first, after the cursor (an entry id) when given. */
export async function listHistory(db: Queryable, f: {
  ruleId?: number | undefined; state?: string | undefined; severity?: string | undefined;
  startDate?: string | undefined; endDate?: string | undefined; beforeId?: number | undefined; limit: number;
}): Promise<HistoryEntry[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  const add = (cond: string, v: unknown): void => {
    params.push(v);
    where.push(cond.replace('?', `$${params.length}`));
  };
  if (f.ruleId !== undefined) add('rule_id = ?', f.ruleId);
  if (f.state !== undefined) add('state = ?', f.state);
  if (f.severity !== undefined) add('severity = ?', f.severity);
  if (f.startDate !== undefined) add('window_end > ?::timestamptz', f.startDate);
  if (f.endDate !== undefined) add('window_start < ?::timestamptz', f.endDate);
  if (f.beforeId !== undefined) add('id < ?', f.beforeId);
  params.push(f.limit);
  const res = await db.query<HistoryEntry>(
    `SELECT * FROM alert_history ${whereClause(where)} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  return res.rows.map(normalised);
}

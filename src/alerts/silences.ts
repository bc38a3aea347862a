import { z } from 'zod';
import type { Queryable } from '../db/db.js';
import { SEVERITIES, type StoredRule } from './rule.js';

/** A silence as a client sends it: at least one matcher, and when it is in force. */
export const silenceSchema = z.object({
  rule_id: z.number().int().positive().optional().describe('Matches this rule only'),
  severity: z.enum(SEVERITIES).optional(),
  labels: z.record(z.string().max(64), z.string().max(1024)).default({}).describe('Matches rules that have every one of these labels'),
  starts_at: z.iso.datetime({ offset: true }).optional().describe('Default: now'),
  ends_at: z.iso.datetime({ offset: true }),
  comment: z.string().max(1000).default(''),
}).superRefine((s, ctx) => {
  if (s.rule_id === undefined && s.severity === undefined && Object.keys(s.labels).length === 0) {
    ctx.addIssue({ code: 'custom', path: ['rule_id'], message: 'a silence needs a matcher: rule_id, severity or labels' });
  }
  if (s.starts_at !== undefined && Date.parse(s.ends_at) <= Date.parse(s.starts_at)) {
    ctx.addIssue({ code: 'custom', path: ['ends_at'], message: 'must be after starts_at' });
  }
});

export type SilenceInput = z.infer<typeof silenceSchema>;

export interface Silence {
  id: number;
  rule_id: number | null;
  severity: string | null;
  labels: Record<string, string>;
  starts_at: string;
  ends_at: string;
  comment: string;
  created_at: string;
}

const iso = (v: string): string => new Date(v).toISOString();
const normalised = (s: Silence): Silence => ({ ...s, starts_at: iso(s.starts_at), ends_at: iso(s.ends_at), created_at: iso(s.created_at) });

export async function createSilence(db: Queryable, s: SilenceInput, nowMs: number): Promise<Silence> {
  const res = await db.query<Silence>(
    `INSERT INTO alert_silences (rule_id, severity, labels, starts_at, ends_at, comment) VALUES ($1, $2, $3::jsonb, $4, $5, $6) RETURNING *`,
    [s.rule_id ?? null, s.severity ?? null, JSON.stringify(s.labels), s.starts_at ?? new Date(nowMs).toISOString(), s.ends_at, s.comment],
  );
  return normalised(res.rows[0]!);
}

/** Silences not yet over, soonest ending first. */
export async function listSilences(db: Queryable, nowMs: number): Promise<Silence[]> {
  const res = await db.query<Silence>('SELECT * FROM alert_silences WHERE ends_at > $1 ORDER BY ends_at, id', [new Date(nowMs).toISOString()]);
  return res.rows.map(normalised);
}

/** Ends a silence now (kept for the record); false when there is no such silence in force or ahead. */
export async function expireSilence(db: Queryable, id: number, nowMs: number): Promise<boolean> {
  const now = new Date(nowMs).toISOString();
  const res = await db.query(
    'UPDATE alert_silences SET ends_at = greatest($2::timestamptz, starts_at + interval \'1 millisecond\') WHERE id = $1 AND ends_at > $2', [id, now],
  );
  return res.rowCount > 0;
}

/** Whether a silence in force at `nowMs` matches the rule. */
export async function isSilenced(db: Queryable, rule: StoredRule, nowMs: number): Promise<boolean> {
  const res = await db.query(
    `SELECT 1 FROM alert_silences
     WHERE starts_at <= $1 AND ends_at > $1 AND (rule_id IS NULL OR rule_id = $2) AND (severity IS NULL OR severity = $3)
       AND $4::jsonb @> labels
     LIMIT 1`,
    [new Date(nowMs).toISOString(), rule.id, rule.severity, JSON.stringify(rule.labels)],
  );
  return res.rows.length > 0;
}

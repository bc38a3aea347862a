/**
 * Notification deliveries: made when an episode fires or resolves (one per channel and event, so a
 * second evaluation finds them made), sent by a separate loop with retries and backoff, so a slow
 * receiver never holds evaluation up.
 */
import type { Db, Queryable } from '../db/db.js';
import { CHANNELS, type Channel, type Notification } from './channels.js';
import type { HistoryEntry } from './history.js';
import type { StoredRule } from './rule.js';

/** Attempts before a delivery is given up (about 4 hours of backoff in all). */
export const MAX_ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 30_000;
const SEND_TIMEOUT_MS = 10_000;

export interface DeliveryAttempt {
  at: string;
  status: number | null;
  error: string | null;
}

export interface Delivery {
  id: number;
  history_id: number | null;
  rule_id: number;
  channel: Channel;
  event: Notification['event'];
  status: 'pending' | 'sent' | 'failed';
  attempts: DeliveryAttempt[];
  next_attempt_at: string;
  created_at: string;
  sent_at: string | null;
}

/** The GET /logs query of a window's matching lines. */
function logsUrl(rule: StoredRule, windowStart: string, windowEnd: string): string {
  const q = new URLSearchParams({ start_date: windowStart, end_date: windowEnd });
  for (const [k, v] of Object.entries(rule.filter)) if (v !== undefined && k !== 'route') q.set(k, v);
  return `/logs?${q.toString()}`;
}

export function notificationOf(rule: StoredRule, event: Notification['event'], e: Pick<HistoryEntry, 'value' | 'peak' | 'window_start' | 'window_end' | 'resolved_at' | 'evidence'> & { id: number | null }): Notification {
  return {
    event,
    rule: { id: rule.id, name: rule.name, kind: rule.kind, severity: rule.severity, threshold: rule.threshold ?? null, labels: rule.labels },
    episode: { id: e.id, value: e.value, peak: e.peak, window_start: e.window_start, window_end: e.window_end, resolved_at: e.resolved_at },
    evidence: e.evidence,
    logs_url: logsUrl(rule, e.window_start, e.window_end),
  };
}

/**
 * Makes the deliveries of episodes just recorded: `firing` for each, `resolved` for those resolved,
 * to every channel of the rule. An episode that ended more than `maxAgeMs` before now (found in old
 * data) is not notified unless the rule says `notify_historical`.
 */
export async function enqueueDeliveries(db: Queryable, rule: StoredRule, entries: readonly HistoryEntry[], nowMs: number, maxAgeMs: number): Promise<void> {
  if (rule.notify.length === 0) return;
  const rows: { history_id: number; channel_index: number; channel: Channel; event: string; payload: Notification }[] = [];
  for (const e of entries) {
    const old = e.resolved_at !== null && Date.parse(e.resolved_at) < nowMs - maxAgeMs;
    if (old && !rule.notify_historical) continue;
    const events: Notification['event'][] = e.resolved_at === null ? ['firing'] : ['firing', 'resolved'];
    for (const event of events) {
      for (const [i, channel] of rule.notify.entries()) rows.push({ history_id: e.id, channel_index: i, channel, event, payload: notificationOf(rule, event, e) });
    }
  }
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO alert_deliveries (history_id, rule_id, channel_index, channel, event, payload)
     SELECT d.history_id, $1, d.channel_index, d.channel, d.event, d.payload
     FROM jsonb_to_recordset($2::jsonb) AS d(history_id bigint, channel_index integer, channel jsonb, event text, payload jsonb)
     ON CONFLICT (history_id, channel_index, event) DO NOTHING`,
    [rule.id, JSON.stringify(rows)],
  );
}

/** Makes a test delivery of a sample notification to each of the rule's channels; returns their ids. */
export async function enqueueTest(db: Queryable, rule: StoredRule, nowMs: number): Promise<number[]> {
  const end = new Date(Math.floor(nowMs / 60_000) * 60_000).toISOString();
  const start = new Date(Date.parse(end) - 5 * 60_000).toISOString();
  const payload = notificationOf(rule, 'test', { id: null, value: rule.threshold ?? 0, peak: rule.threshold ?? 0, window_start: start, window_end: end, resolved_at: null, evidence: null });
  const ids: number[] = [];
  for (const [i, channel] of rule.notify.entries()) {
    const res = await db.query<{ id: number }>(
      `INSERT INTO alert_deliveries (rule_id, channel_index, channel, event, payload) VALUES ($1, $2, $3::jsonb, 'test', $4::jsonb) RETURNING id`,
      [rule.id, i, JSON.stringify(channel), JSON.stringify(payload)],
    );
    ids.push(res.rows[0]!.id);
  }
  return ids;
}

/**
 * Sends the deliveries that are due, a few at a time: each claimed row is sent outside any
 * transaction, then marked sent, or given its next attempt (30 s, doubling) or, after
 * MAX_ATTEMPTS, failed. Every attempt is recorded. Returns the deliveries attempted.
 */
export async function sendDueDeliveries(db: Db, secretKey: string | undefined, nowMs = Date.now(), signal?: AbortSignal): Promise<number> {
  const due = await db.query<{ id: number; channel: Channel; payload: Notification; attempts: DeliveryAttempt[] }>(
    `UPDATE alert_deliveries SET next_attempt_at = now() + interval '1 minute'
     WHERE id IN (SELECT id FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= $1::timestamptz
                  ORDER BY next_attempt_at LIMIT 20 FOR UPDATE SKIP LOCKED)
     RETURNING id, channel, payload, attempts`,
    [new Date(nowMs).toISOString()],
  );
  for (const d of due.rows) {
    if (signal?.aborted) break; // shutdown: the rest were claimed for a minute and go out after it
    const attempt = await send(CHANNELS[d.channel.type](d.payload, d.channel, secretKey));
    const attempts = [...d.attempts, attempt];
    const ok = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
    const status = ok ? 'sent' : attempts.length >= MAX_ATTEMPTS ? 'failed' : 'pending';
    const backoffMs = FIRST_BACKOFF_MS * 2 ** (attempts.length - 1);
    await db.query(
      `UPDATE alert_deliveries SET status = $2, attempts = $3::jsonb, sent_at = CASE WHEN $2 = 'sent' THEN now() END,
              next_attempt_at = now() + $4::integer * interval '1 millisecond'
       WHERE id = $1`,
      [d.id, status, JSON.stringify(attempts), backoffMs],
    );
  }
  return due.rows.length;
}

/**
 * Alertmanager ends an alert that is not sent again within its resolve_timeout (5 minutes by
 * default), as Prometheus sends every firing alert on every evaluation. So while an episode fires,
 * its Alertmanager notification goes again on every live tick (not recorded as a delivery).
 * Returns how many were sent.
 */
export async function refreshAlertmanager(db: Queryable): Promise<number> {
  const firing = await db.query<{ payload: Notification; channel: Channel }>(
    `SELECT d.payload, d.channel FROM alert_deliveries d JOIN alert_history h ON h.id = d.history_id
     WHERE h.state = 'firing' AND d.event = 'firing' AND d.status = 'sent' AND d.channel->>'type' = 'alertmanager'`,
  );
  for (const f of firing.rows) await send(CHANNELS.alertmanager(f.payload, f.channel, undefined));
  return firing.rows.length;
}

async function send(req: { url: string; headers: Record<string, string>; body: string }): Promise<DeliveryAttempt> {
  const at = new Date().toISOString();
  try {
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal: AbortSignal.timeout(SEND_TIMEOUT_MS), redirect: 'error' });
    await res.arrayBuffer();
    return { at, status: res.status, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (err) {
    return { at, status: null, error: (err as Error).message.slice(0, 500) };
  }
}

/** The deliveries of one history entry, oldest first. */
export async function listDeliveries(db: Queryable, historyId: number): Promise<Delivery[]> {
  const res = await db.query<Delivery>(
    `SELECT id, history_id, rule_id, channel, event, status, attempts, next_attempt_at, created_at, sent_at
     FROM alert_deliveries WHERE history_id = $1 ORDER BY id`,
    [historyId],
  );
  return res.rows;
}

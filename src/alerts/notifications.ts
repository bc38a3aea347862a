/**
 * Notification deliveries: made when an episode fires or resolves (one per channel and event, so a
 * second evaluation finds them made), sent by a separate loop with retries and backoff, so a slow
 * receiver never holds evaluation up.
 */
import type { Db, Queryable } from '../db/db.js';
import type { DestinationPolicy } from '../domain/destinationPolicy.js';
import { forEachConcurrently } from '../domain/forEachConcurrently.js';
import { CHANNELS, type Channel, type Notification, type OutgoingRequest } from './channels.js';
import { httpPost, withoutUrlSecrets } from './httpPost.js';
import type { HistoryEntry } from './history.js';
import type { StoredRule } from './rule.js';

/** Attempts before a delivery is given up (about 4 hours of backoff in all). */
export const MAX_ATTEMPTS = 8;
const FIRST_BACKOFF_MS = 30_000;

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

/** The GET /logs query of a window's matching lines: the rule's filter takes the parameters GET /logs takes. */
function logsUrl(rule: StoredRule, windowStart: string, windowEnd: string): string {
  const q = new URLSearchParams({ start_date: windowStart, end_date: windowEnd });
  // A route list is the parameter repeated.
  for (const [k, v] of Object.entries(rule.filter)) for (const value of typeof v === 'string' ? [v] : v ?? []) q.append(k, value);
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

/** Deliveries claimed at once, and sent at most this many at a time. */
const BATCH = 20;
const CONCURRENCY = 8;
/** One attempt: connect, send and read the answer within this. */
const SEND_TIMEOUT_MS = 5_000;
/** What is read of a receiver's answer at most (its status is what counts). */
const MAX_RESPONSE_BYTES = 64 * 1024;
/**
 * How long a claim hides its deliveries from other senders. A batch takes at most
 * ⌈BATCH / CONCURRENCY⌉ × SEND_TIMEOUT_MS (15 s) of sending; eight times that leaves room for a slow
 * database. Should a sender still outlive its claim, the claim token keeps its outcome out (see
 * sendDueDeliveries).
 */
const CLAIM_MS = 8 * Math.ceil(BATCH / CONCURRENCY) * SEND_TIMEOUT_MS;

/** What sending needs besides the database: the signing key and where requests may go. */
export interface SendOptions {
  secretKey: string | undefined;
  destinations: DestinationPolicy;
}

/** A delivery's Standard Webhooks message id: stable across attempts, distinct across databases that reuse ids. */
const messageId = (id: number, createdAt: string): string => `msg_${id}_${Date.parse(createdAt).toString(36)}`;

async function send(req: OutgoingRequest, destinations: DestinationPolicy): Promise<DeliveryAttempt> {
  const at = new Date().toISOString();
  const res = await httpPost(req.url, req.headers, req.body, { policy: destinations, timeoutMs: SEND_TIMEOUT_MS, maxResponseBytes: MAX_RESPONSE_BYTES });
  return { at, ...res };
}

/**
 * Sends the deliveries that are due, CONCURRENCY at a time. A claim gives each row a fresh token and
 * hides it for CLAIM_MS; each row is sent outside any transaction, then marked sent, or given its
 * next attempt (30 s, doubling) or, after MAX_ATTEMPTS, failed, every attempt recorded. That final
 * update holds only while the row still carries this claim's token: if the claim expired and
 * another sender took the row over, this outcome is not recorded (the other sender's is) and the
 * row's id is returned in `overtaken`. Returns the deliveries attempted. Due means by `nowMs` or by
 * the database's clock, whichever is later: a row gets its time from the database's now(), in
 * microseconds, so a delivery made within the millisecond of `nowMs` is due too.
 */
export async function sendDueDeliveries(db: Db, opts: SendOptions, nowMs = Date.now()): Promise<{ attempted: number; overtaken: number[] }> {
  const due = await db.query<{ id: number; claim_token: string; channel: Channel; payload: Notification; attempts: DeliveryAttempt[]; created_at: string }>(
    `UPDATE alert_deliveries SET next_attempt_at = now() + $2::integer * interval '1 millisecond', claim_token = gen_random_uuid()
     WHERE id IN (SELECT id FROM alert_deliveries WHERE status = 'pending' AND next_attempt_at <= greatest($1::timestamptz, now())
                  ORDER BY next_attempt_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
     RETURNING id, claim_token, channel, payload, attempts, created_at`,
    [new Date(nowMs).toISOString(), CLAIM_MS],
  );
  const overtaken: number[] = [];
  await forEachConcurrently(due.rows, CONCURRENCY, async (d) => {
    const request = CHANNELS[d.channel.type](d.payload, d.channel, { secretKey: opts.secretKey, messageId: messageId(d.id, d.created_at), nowMs: Date.now() });
    const attempt = await send(request, opts.destinations);
    const attempts = [...d.attempts, attempt];
    const ok = attempt.status !== null && attempt.status >= 200 && attempt.status < 300;
    const status = ok ? 'sent' : attempts.length >= MAX_ATTEMPTS ? 'failed' : 'pending';
    const backoffMs = FIRST_BACKOFF_MS * 2 ** (attempts.length - 1);
    const recorded = await db.query(
      `UPDATE alert_deliveries SET status = $3, attempts = $4::jsonb, sent_at = CASE WHEN $3 = 'sent' THEN now() END,
              next_attempt_at = now() + $5::integer * interval '1 millisecond', claim_token = NULL
       WHERE id = $1 AND claim_token = $2`,
      [d.id, d.claim_token, status, JSON.stringify(attempts), backoffMs],
    );
    if (recorded.rowCount === 0) overtaken.push(d.id);
  });
  return { attempted: due.rows.length, overtaken };
}

/**
 * Alertmanager ends an alert that is not sent again within its resolve_timeout (5 minutes by
 * default), as Prometheus sends every firing alert on every evaluation. So while an episode fires,
 * its Alertmanager notification goes again on every refresh (not recorded as a delivery), from the
 * delivery loop, CONCURRENCY at a time: an unreachable Alertmanager costs this loop
 * SEND_TIMEOUT_MS, never the evaluation of rules. Returns how many were accepted (2xx).
 */
export async function refreshAlertmanager(db: Queryable, opts: SendOptions): Promise<number> {
  const firing = await db.query<{ id: number; created_at: string; payload: Notification; channel: Channel }>(
    `SELECT d.id, d.created_at, d.payload, d.channel FROM alert_deliveries d JOIN alert_history h ON h.id = d.history_id
     WHERE h.state = 'firing' AND d.event = 'firing' AND d.status = 'sent' AND d.channel->>'type' = 'alertmanager'`,
  );
  let accepted = 0;
  await forEachConcurrently(firing.rows, CONCURRENCY, async (f) => {
    const request = CHANNELS.alertmanager(f.payload, f.channel, { secretKey: undefined, messageId: messageId(f.id, f.created_at), nowMs: Date.now() });
    if ((await send(request, opts.destinations)).error === null) accepted++;
  });
  return accepted;
}

/** A delivery as a caller may see it: the channel's type and host, and its URL only when allowed. */
export interface DeliveryView extends Omit<Delivery, 'channel'> {
  channel: { type: Channel['type']; host: string; url?: string };
}

/**
 * The deliveries of one history entry, oldest first. A channel's URL is a credential (anyone who
 * has a Slack incoming-webhook URL or a `?token=` URL can post to it), so only `withUrls` (callers
 * with the admin scope) gets it; everyone gets the type and host, and attempt errors without the
 * URL's path, query or credentials (errors are stored that way; older rows are cleaned here too).
 */
export async function listDeliveries(db: Queryable, historyId: number, opts: { withUrls: boolean }): Promise<DeliveryView[]> {
  const res = await db.query<Delivery>(
    `SELECT id, history_id, rule_id, channel, event, status, attempts, next_attempt_at, created_at, sent_at
     FROM alert_deliveries WHERE history_id = $1 ORDER BY id`,
    [historyId],
  );
  return res.rows.map(({ channel, attempts, ...d }) => ({
    ...d,
    channel: { type: channel.type, host: new URL(channel.url).hostname, ...(opts.withUrls ? { url: channel.url } : {}) },
    attempts: opts.withUrls ? attempts : attempts.map((a) => ({ ...a, error: a.error === null ? null : withoutUrlSecrets(a.error, channel.url) })),
  }));
}

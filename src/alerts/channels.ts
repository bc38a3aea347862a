/**
 * Notification channels, keyed by type: each turns a notification into the HTTP request its
 * receiver expects. A new channel is an added entry.
 */
import crypto from 'node:crypto';
import type { z } from 'zod';
import type { channelSchema } from './rule.js';

export type Channel = z.infer<typeof channelSchema>;

export interface Notification {
  event: 'firing' | 'resolved' | 'test';
  rule: { id: number; name: string; kind: string; severity: string; threshold: number | null; labels: Record<string, string> };
  episode: {
    id: number | null; value: number; peak: number; window_start: string; window_end: string; resolved_at: string | null;
  };
  evidence: unknown;
  /** The GET /logs query of the firing window's matching lines (a path on this service). */
  logs_url: string;
}

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What a channel needs besides the notification to build its request. */
export interface SendContext {
  /** SECRET_KEY, which signs webhooks; undefined: they go unsigned. */
  secretKey: string | undefined;
  /** The delivery's message id: the same on every attempt, so that a receiver can drop repeats. */
  messageId: string;
  /** When the request is made (ms): the signed timestamp that lets receivers refuse replays. */
  nowMs: number;
}

/** `sha256=<hex>` HMAC of the raw body: receivers recompute it with the shared SECRET_KEY. */
export function signature(body: string, secretKey: string): string {
  return `sha256=${crypto.createHmac('sha256', secretKey).update(body).digest('hex')}`;
}

/**
 * A Standard Webhooks signature (https://www.standardwebhooks.com, "Signature scheme"): `v1,` and
 * the base64 HMAC-SHA256 of `<id>.<timestamp>.<body>` keyed with the secret's bytes. Unlike the
 * body-only signature, it covers the id and the time, so a receiver that checks the timestamp's
 * age (5 minutes in the official libraries) and remembers ids cannot be fed a recorded request again.
 */
export function standardSignature(key: Uint8Array | string, messageId: string, timestampSec: number, body: string): string {
  return `v1,${crypto.createHmac('sha256', key).update(`${messageId}.${timestampSec}.`).update(body).digest('base64')}`;
}

/**
 * The signature headers of a webhook: `X-LogInsights-Signature` as it always was, and the Standard
 * Webhooks ones, keyed with the UTF-8 bytes of SECRET_KEY (so `whsec_` + base64 of those bytes is
 * the secret a Standard Webhooks library takes).
 */
function webhookHeaders(body: string, s: SendContext): Record<string, string> {
  const timestampSec = Math.floor(s.nowMs / 1000);
  const headers: Record<string, string> = { 'webhook-id': s.messageId, 'webhook-timestamp': String(timestampSec) };
  if (s.secretKey) {
    headers['x-loginsights-signature'] = signature(body, s.secretKey);
    headers['webhook-signature'] = standardSignature(Buffer.from(s.secretKey, 'utf8'), s.messageId, timestampSec, body);
  }
  return headers;
}

function summary(n: Notification): string {
  const state = n.event === 'resolved' ? 'RESOLVED' : n.event === 'test' ? 'TEST' : 'FIRING';
  return `[${state}] ${n.rule.name} (${n.rule.severity}): value ${n.episode.value} (threshold ${n.rule.threshold ?? '-'}) ` +
    `in ${n.episode.window_start} – ${n.episode.window_end}`;
}

const json = { 'content-type': 'application/json' };

export const CHANNELS: Record<Channel['type'], (n: Notification, c: Channel, s: SendContext) => OutgoingRequest> = {
  webhook: (n, c, s) => {
    const body = JSON.stringify(n);
    return { url: c.url, headers: { ...json, ...webhookHeaders(body, s) }, body };
  },
  slack: (n, c) => ({ url: c.url, headers: json, body: JSON.stringify({ text: `${summary(n)}\nLogs: ${n.logs_url}` }) }),
  alertmanager: (n, c, s) => ({
    url: `${c.url.replace(/\/+$/, '')}/api/v2/alerts`,
    headers: json,
    body: JSON.stringify([{
      labels: { alertname: n.rule.name, severity: n.rule.severity, rule_id: String(n.rule.id), ...n.rule.labels },
      annotations: { summary: summary(n), value: String(n.episode.value), logs_url: n.logs_url },
      startsAt: n.episode.window_end,
      // A resolved alert ends when it resolved, but never later than now: Alertmanager keeps an
      // alert whose end lies ahead active until then (event times run ahead of us when a logging
      // host's clock does). Without an end, Alertmanager ends it after its resolve_timeout.
      ...(n.episode.resolved_at ? { endsAt: new Date(Math.min(Date.parse(n.episode.resolved_at), s.nowMs)).toISOString() } : {}),
      generatorURL: n.logs_url,
    }]),
  }),
};

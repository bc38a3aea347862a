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

/** `sha256=<hex>` HMAC of the raw body: receivers recompute it with the shared SECRET_KEY. */
export function signature(body: string, secretKey: string): string {
  return `sha256=${crypto.createHmac('sha256', secretKey).update(body).digest('hex')}`;
}

function summary(n: Notification): string {
  const state = n.event === 'resolved' ? 'RESOLVED' : n.event === 'test' ? 'TEST' : 'FIRING';
  return `[${state}] ${n.rule.name} (${n.rule.severity}): value ${n.episode.value} (threshold ${n.rule.threshold ?? '-'}) ` +
    `in ${n.episode.window_start} – ${n.episode.window_end}`;
}

const json = { 'content-type': 'application/json' };

export const CHANNELS: Record<Channel['type'], (n: Notification, c: Channel, secretKey: string | undefined) => OutgoingRequest> = {
  webhook: (n, c, secretKey) => {
    const body = JSON.stringify(n);
    return { url: c.url, headers: { ...json, ...(secretKey ? { 'x-loginsights-signature': signature(body, secretKey) } : {}) }, body };
  },
  slack: (n, c) => ({ url: c.url, headers: json, body: JSON.stringify({ text: `${summary(n)}\nLogs: ${n.logs_url}` }) }),
  alertmanager: (n, c) => ({
    url: `${c.url.replace(/\/+$/, '')}/api/v2/alerts`,
    headers: json,
    body: JSON.stringify([{
      labels: { alertname: n.rule.name, severity: n.rule.severity, rule_id: String(n.rule.id), ...n.rule.labels },
      annotations: { summary: summary(n), value: String(n.episode.value), logs_url: n.logs_url },
      startsAt: n.episode.window_end,
      // A resolved alert ends when it resolved, but never later than now: Alertmanager keeps an
      // alert whose end lies ahead active until then (event times run ahead of us when a logging
      // host's clock does). Without an end, Alertmanager ends it after its resolve_timeout.
      ...(n.episode.resolved_at ? { endsAt: new Date(Math.min(Date.parse(n.episode.resolved_at), Date.now())).toISOString() } : {}),
      generatorURL: n.logs_url,
    }]),
  }),
};

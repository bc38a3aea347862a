/**
 * POSTs a notification to a receiver, with what a request to an address typed by a user needs:
 * the destination policy checked on the address actually connected to, one deadline for the whole
 * exchange, a cap on what is read of the answer, and no redirects. `fetch` offers none of the first
 * three (its body is read whole, and it resolves names itself), hence node:http.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { literalRefusal, refusalOf, type DestinationPolicy } from '../domain/destinationPolicy.js';

export interface PostOptions {
  policy: DestinationPolicy;
  /** Connecting, sending and reading the answer, all within this. */
  timeoutMs: number;
  /** Read at most this much of the answer (its status is what counts), then close the connection. */
  maxResponseBytes: number;
}

/** The receiver's status (null when none was received) and why the attempt failed (null when it did not). */
export interface PostResult {
  status: number | null;
  error: string | null;
}

class RefusedDestination extends Error {}

/**
 * A `lookup` for the connection: resolves as node would, then keeps only the addresses the policy
 * allows. Node calls it when it connects, so the address checked is the address used.
 */
function guardedLookup(policy: DestinationPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const allowed = addresses.filter((a) => refusalOf(hostname, a.address, policy) === null);
      const first = allowed[0];
      if (!first) {
        const refusal = addresses[0] ? refusalOf(hostname, addresses[0].address, policy) : null;
        return callback(new RefusedDestination(refusal ?? `no address for ${hostname}`), '', 0);
      }
      if (options.all) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}

/**
 * A message safe to show to holders of a read key: the URL's path, query and credentials are the
 * secret of Slack and token webhooks, so they never appear in it (node's messages hold at most the
 * host and port, but a message is not a contract).
 */
export function withoutUrlSecrets(message: string, url: string): string {
  let out = message;
  try {
    const u = new URL(url);
    const secrets = [u.href, `${u.pathname}${u.search}`, u.search, u.username, u.password].filter((s) => s.length > 1);
    for (const s of secrets) out = out.replaceAll(s, '…');
  } catch {
    // Not a URL: nothing of it to take out.
  }
  return out.slice(0, 500);
}

/** POSTs `body` to `url`; never throws: a failure is a result with its error. */
export function httpPost(url: string, headers: Record<string, string>, body: string, opts: PostOptions): Promise<PostResult> {
  const refused = literalRefusal(url, opts.policy);
  if (refused) return Promise.resolve({ status: null, error: refused });
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    let status: number | null = null;
    // Called only from events and the timer, so after `request` and `deadline` below exist.
    const finish = (error: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.destroy();
      const failed = error ?? (status !== null && (status < 200 || status > 299) ? `HTTP ${status}` : null);
      resolve({ status, error: failed === null ? null : withoutUrlSecrets(failed, url) });
    };
    const request = client.request(target, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(opts.policy),
      // A connection of its own each time: a pooled socket would outlive the policy check of its
      // address, and notifications are too rare for pooling to matter.
      agent: false,
    }, (res) => {
      status = res.statusCode ?? null;
      let read = 0;
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > opts.maxResponseBytes) finish(null);
      });
      res.on('end', () => finish(null));
      res.on('error', (err) => finish(status === null ? err.message : null));
      res.on('close', () => finish(null));
    });
    const deadline = setTimeout(() => finish(`no complete answer within ${opts.timeoutMs} ms`), opts.timeoutMs);
    request.on('error', (err) => finish(err.message));
    request.end(body);
  });
}

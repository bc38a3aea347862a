import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_ALLOWED_DESTINATIONS, parseAllowedDestinations, type DestinationPolicy } from '../domain/destinationPolicy.js';
import { httpPost, withoutUrlSecrets, type PostOptions } from './httpPost.js';

const DEFAULT: DestinationPolicy = { denyPrivate: false, allowed: NO_ALLOWED_DESTINATIONS };
const STRICT: DestinationPolicy = { denyPrivate: true, allowed: NO_ALLOWED_DESTINATIONS };
const opts = (policy = DEFAULT, extra: Partial<PostOptions> = {}): PostOptions => ({ policy, timeoutMs: 5_000, maxResponseBytes: 1024, ...extra });

interface Receiver {
  port: number;
  requests: { url: string; body: string }[];
  /** Connections closed by the client. */
  closed: number;
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A local receiver: `handle` answers each request once its body is read. */
async function receiver(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Receiver> {
  const r: Receiver = { port: 0, requests: [], closed: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests.push({ url: req.url ?? '', body: Buffer.concat(chunks).toString() });
      res.on('close', () => r.closed++);
      handle(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = (server.address() as AddressInfo).port;
  return r;
}

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('httpPost', () => {
  it('posts the body with its headers and returns the status; a non-2xx status is the error', async () => {
    const r = await receiver((req, res) => res.writeHead(req.url === '/fail' ? 503 : 204).end());
    expect(await httpPost(`http://127.0.0.1:${r.port}/ok`, { 'content-type': 'application/json' }, '{"a":1}', opts())).toEqual({ status: 204, error: null });
    expect(await httpPost(`http://127.0.0.1:${r.port}/fail`, {}, 'x', opts())).toEqual({ status: 503, error: 'HTTP 503' });
    expect(r.requests).toEqual([{ url: '/ok', body: '{"a":1}' }, { url: '/fail', body: 'x' }]);
  });

  it('reads at most maxResponseBytes of an endless answer, then closes the connection', async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(200);
      const more = (): void => {
        while (!res.destroyed && res.write(Buffer.alloc(16 * 1024, 120)));
        if (!res.destroyed) res.once('drain', more);
      };
      more();
    });
    expect(await httpPost(`http://127.0.0.1:${r.port}/`, {}, 'x', opts())).toEqual({ status: 200, error: null });
    await until(() => r.closed === 1);
    expect(r.closed).toBe(1);
  });

  it('gives up on a receiver that does not answer within the timeout, closing the connection', async () => {
    const r = await receiver(() => undefined);
    expect(await httpPost(`http://127.0.0.1:${r.port}/`, {}, 'x', opts(DEFAULT, { timeoutMs: 200 }))).toEqual({ status: null, error: 'no complete answer within 200 ms' });
    await until(() => r.closed === 1);
    expect(r.closed).toBe(1);
  });

  it('follows no redirect', async () => {
    const r = await receiver((_req, res) => res.writeHead(307, { location: '/elsewhere' }).end());
    expect(await httpPost(`http://127.0.0.1:${r.port}/`, {}, 'x', opts())).toEqual({ status: 307, error: 'HTTP 307' });
    expect(r.requests.map((q) => q.url)).toEqual(['/']);
  });

  it('checks every address a host name resolves to when connecting: refused ones are never connected to', async () => {
    const r = await receiver((_req, res) => res.end('ok'));
    const refused = await httpPost(`http://localhost:${r.port}/`, {}, 'x', opts(STRICT));
    expect(refused.status).toBeNull();
    expect(refused.error).toMatch(/^destination localhost \((127\.0\.0\.1|::1)\) is a loopback address, refused \(NOTIFY_ALLOWED_HOSTS allows it\)$/);
    expect(await httpPost(`http://127.0.0.1:${r.port}/`, {}, 'x', opts(STRICT))).toEqual({
      status: null, error: 'destination 127.0.0.1 is a loopback address, refused (NOTIFY_ALLOWED_HOSTS allows it)',
    });
    expect(r.requests).toEqual([]);
    // Allowed by name, or by a CIDR holding the address.
    const byName: DestinationPolicy = { denyPrivate: true, allowed: parseAllowedDestinations('localhost') };
    expect(await httpPost(`http://localhost:${r.port}/`, {}, 'x', opts(byName))).toEqual({ status: 200, error: null });
    const byCidr: DestinationPolicy = { denyPrivate: true, allowed: parseAllowedDestinations('127.0.0.0/8') };
    expect(await httpPost(`http://127.0.0.1:${r.port}/`, {}, 'x', opts(byCidr))).toEqual({ status: 200, error: null });
    expect(r.requests).toHaveLength(2);
  });

  it("keeps the URL's path, query and credentials out of its errors", async () => {
    const r = await receiver(() => undefined);
    const port = r.port;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const res = await httpPost(`http://user:pw-secret@127.0.0.1:${port}/services/T0/B0/slack-secret?token=token-secret`, {}, 'x', opts());
    expect(res.status).toBeNull();
    expect(res.error).toMatch(/ECONNREFUSED/);
    expect(res.error).not.toMatch(/secret/);
    expect(withoutUrlSecrets('failed: POST http://h/services/T0/B0/slack-secret?token=t1 (http://h/services/T0/B0/slack-secret?token=t1)', 'http://h/services/T0/B0/slack-secret?token=t1'))
      .toBe('failed: POST … (…)');
  });
});

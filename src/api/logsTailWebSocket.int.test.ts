import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { generateNginxTimed } from '../../bench/generate.js';
import { describeBackends } from '../../test/helpers/db.js';
import { ADMIN_HEADERS, TEST_ADMIN_KEY } from '../../test/helpers/env.js';
import { allRecords, startTestService, uploadAndWait, type TestService } from '../../test/helpers/service.js';
import { probeAccessLog, siteAccessLog } from '../../test/helpers/siteLog.js';
import type { LogRow } from '../search/searchLogs.js';

type TailMessage =
  | { type: 'ready'; max_records_per_batch: number }
  | { type: 'record'; record: LogRow }
  | { type: 'dropped'; dropped: number }
  | { type: 'gap' | 'revoked'; reason: string };

interface Problem { status: number; code: string; detail: string; invalid_params?: { name: string }[] }

/** How a stream sends its key: in a header of the upgrade request, or as its first message. */
type Credentials = { headers: Record<string, string> } | { key: string };

/** A live tail over a WebSocket, read with the `ws` client as a Node program reads it. */
class SocketTail {
  readonly messages: TailMessage[] = [];
  closed: { code: number; reason: string } | undefined;
  private waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.wake(() => this.messages.push(JSON.parse(data.toString('utf8')) as TailMessage)));
    ws.on('close', (code: number, reason: Buffer) => this.wake(() => (this.closed = { code, reason: reason.toString('utf8') })));
  }

  /** Resolves once the server has upgraded the connection (before any key check by message). */
  static connect(url: string, headers: Record<string, string> = {}): Promise<SocketTail> {
    const ws = new WebSocket(url, { headers });
    const tail = new SocketTail(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(tail));
      ws.once('error', reject);
    });
  }

  /** Connected, authenticated and subscribed: `ready` has arrived. */
  static async open(base: string, query: string, credentials: Credentials): Promise<SocketTail> {
    const tail = await SocketTail.connect(`${base}/logs/tail?${query}`, 'headers' in credentials ? credentials.headers : {});
    if ('key' in credentials) tail.ws.send(JSON.stringify({ type: 'auth', key: credentials.key }));
    await tail.until((t) => t.messages.some((m) => m.type === 'ready'), 'ready');
    return tail;
  }

  get records(): LogRow[] {
    return this.messages.flatMap((m) => (m.type === 'record' ? [m.record] : []));
  }

  get dropped(): number {
    return this.messages.reduce((n, m) => n + (m.type === 'dropped' ? m.dropped : 0), 0);
  }

  async until(pred: (t: SocketTail) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this)) {
      if (this.closed || Date.now() > deadline) {
        throw new Error(`WebSocket tail: no ${what} (${this.records.length} records, ${this.dropped} dropped, closed: ${JSON.stringify(this.closed)})`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** The close the server sent, once it comes. */
  async closedWith(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) throw new Error('the server did not close the WebSocket');
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  private wake(change: () => void): void {
    change();
    for (const w of this.waiters.splice(0)) w();
  }
}

/** The HTTP answer to an upgrade request that the server refused to upgrade. */
function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: Problem }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('error', () => undefined); // the refused request ends in an error too, once the answer is read
    ws.once('open', () => {
      ws.terminate();
      reject(new Error(`${url} was upgraded`));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: JSON.parse(text) as Problem });
        res.destroy();
      });
    });
  });
}

/** Connected, then closed by the server before `ready` (a refused key by message): the close it sent. */
async function refusedAfterUpgrade(url: string, firstMessage?: string): Promise<{ code: number; reason: string; messages: TailMessage[] }> {
  const tail = await SocketTail.connect(url);
  if (firstMessage !== undefined) tail.ws.send(firstMessage);
  return { ...(await tail.closedWith()), messages: tail.messages };
}

describeBackends('GET /logs/tail as a WebSocket on %s', (kind) => {
  let svc: TestService;
  let wsBase: string;
  const keys: Record<'read' | 'ingest', string> = { read: '', ingest: '' };

  const search = (query: string): Promise<LogRow[]> => allRecords(svc, query);
  const ingest = (body: Buffer | string, source: string): Promise<number> => uploadAndWait(svc, body, source);

  /** A new key with the given scope. */
  async function newKey(name: string, scope: 'read' | 'ingest' = 'read'): Promise<{ id: number; key: string; headers: Record<string, string> }> {
    const res = await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name, scopes: [scope] } });
    const { id, key } = res.json<{ id: number; key: string }>();
    return { id, key, headers: { authorization: `Bearer ${key}` } };
  }

  beforeAll(async () => {
    svc = await startTestService(kind, {}, { listen: true });
    wsBase = svc.url.replace(/^http/, 'ws');
    keys.read = (await newKey('read key')).key;
    keys.ingest = (await newKey('ingest key', 'ingest')).key;
  });
  afterAll(async () => svc?.close());

  it('streams the records of an upload as one JSON message each, filtered as GET /logs filters, with the key in a header', async () => {
    const filter = 'source=site&status_code=4xx,5xx&endpoint=/presentations/*';
    const errors = await SocketTail.open(wsBase, filter, { headers: ADMIN_HEADERS });
    const none = await SocketTail.open(wsBase, `${filter}&q=no-such-text`, { headers: { 'x-api-key': keys.read } });
    expect(errors.messages[0]).toEqual({ type: 'ready', max_records_per_batch: 500 });
    await ingest(siteAccessLog(), 'site');

    // The site log's four days (on the embedded database an endpoint search needs a range).
    const expected = await search(`${filter}&start_date=2015-05-17&end_date=2015-05-21`);
    expect(expected.length).toBeGreaterThan(10);
    await errors.until((t) => t.records.length + t.dropped >= expected.length, 'the error records');
    expect(errors.dropped).toBe(0);
    expect(errors.records).toEqual(expected); // every field as GET /logs has it, in file order
    expect(none.messages.map((m) => m.type)).toEqual(['ready']);
    for (const t of [errors, none]) t.close();
  });

  it('takes the key as the first message, where a client cannot set headers (a browser)', async () => {
    const tail = await SocketTail.open(wsBase, 'source=probes&status_code=405', { key: keys.read });
    await ingest(probeAccessLog(), 'probes');
    const expected = await search('source=probes&status_code=405');
    expect(expected.length).toBeGreaterThan(0);
    await tail.until((t) => t.records.length >= expected.length, 'the 405 records');
    expect(tail.records).toEqual(expected);
    tail.close();
  });

  it('refuses a bad key, a key without the read scope, a key in the URL and a bad parameter before the upgrade, as HTTP', async () => {
    const url = `${svc.url}/logs/tail`;
    const wrongKeys: Record<string, string>[] = [{ authorization: 'Bearer li_not_a_real_key_00000000000000000000000000000000' }, { 'x-api-key': 'wrong' }];
    for (const headers of wrongKeys) {
      const wrong = await refusedUpgrade(url, headers);
      expect(wrong.status).toBe(401);
      expect(wrong.type).toMatch(/^application\/problem\+json/);
      expect(wrong.body.code).toBe('unauthorized');
    }
    expect((await refusedUpgrade(url, { authorization: `Bearer ${keys.ingest}` })).status).toBe(403);
    for (const param of ['key', 'api_key', 'token']) {
      const inUrl = await refusedUpgrade(`${url}?source=x&${param}=${keys.read}`);
      expect(inUrl.status, param).toBe(400);
      expect(inUrl.body).toMatchObject({ code: 'key_in_url', detail: expect.stringMatching(/never goes in the URL.*first WebSocket message/) as unknown });
      // Refused with a key in the header too: the URL has already leaked it.
      expect((await refusedUpgrade(`${url}?${param}=${keys.read}`, ADMIN_HEADERS)).status, param).toBe(400);
    }
    // A plain GET too: the key in its URL is refused by name, not only ignored.
    const plain = await fetch(`${url}?key=${keys.read}`);
    expect(plain.status).toBe(400);
    expect(await plain.json()).toMatchObject({ code: 'key_in_url' });

    const bad = await refusedUpgrade(`${url}?status_code=5zz`, ADMIN_HEADERS);
    expect(bad.status).toBe(400);
    expect(bad.type).toMatch(/^application\/problem\+json/);
    expect(bad.body.invalid_params?.[0]?.name).toBe('status_code');
    // Validated before the upgrade even when the key is to come as a message.
    expect((await refusedUpgrade(`${url}?start_date=yesterday`)).body.invalid_params?.[0]?.name).toBe('start_date');
    expect((await refusedUpgrade(`${url}?staus_code=500`, ADMIN_HEADERS)).body.invalid_params?.[0]?.name).toBe('staus_code');

    // A page of another origin: a browser would open the WebSocket without asking CORS.
    const foreign = await refusedUpgrade(url, { ...ADMIN_HEADERS, origin: 'https://evil.example' });
    expect(foreign).toMatchObject({ status: 403, body: { code: 'origin_not_allowed' } });
    const own = await SocketTail.open(wsBase, '', { headers: { ...ADMIN_HEADERS, origin: svc.url } });
    own.close();
  });

  it('closes with 4401 or 4403 and a reason when the first message brings no valid key, or none within 5 s', async () => {
    const url = `${wsBase}/logs/tail?source=site`;
    const unknown = await refusedAfterUpgrade(url, JSON.stringify({ type: 'auth', key: 'li_not_a_real_key_00000000000000000000000000000000' }));
    expect(unknown).toEqual({ code: 4401, reason: 'a valid API key is required', messages: [] });
    const notAuth = await refusedAfterUpgrade(url, JSON.stringify({ type: 'subscribe' }));
    expect(notAuth).toMatchObject({ code: 4401, reason: expect.stringMatching(/^the first message must be \{"type":"auth","key":/) as unknown });
    const ingestOnly = await refusedAfterUpgrade(url, JSON.stringify({ type: 'auth', key: keys.ingest }));
    expect(ingestOnly).toMatchObject({ code: 4403, reason: expect.stringMatching(/`read` scope/) as unknown });

    const started = Date.now();
    const silent = await refusedAfterUpgrade(url);
    expect(silent).toMatchObject({ code: 4401, reason: expect.stringMatching(/within 5 s/) as unknown });
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_900);
  });

  it('never queues for a client that does not read: it gets a dropped count that accounts for every matching record', async () => {
    const tail = await SocketTail.open(wsBase, 'source=bulk', { headers: ADMIN_HEADERS });
    tail.ws.pause(); // stops reading the socket outright, so TCP fills up
    const lines = 60_000;
    expect(await ingest(Buffer.from([...generateNginxTimed({ lines, seed: 11 })].join('')), 'bulk')).toBe(lines);
    tail.ws.resume();
    await tail.until((t) => t.records.length + t.dropped >= lines, 'every record sent or counted', 120_000);
    expect(tail.records.length + tail.dropped).toBe(lines);
    const lineNos = tail.records.map((r) => r.line_no);
    expect(lineNos).toEqual([...lineNos].sort((a, b) => a - b));
    // Some of the drops were for want of room, not only the per-batch cap: back-pressure took effect.
    const metrics = (await svc.inject({ method: 'GET', url: '/metrics' })).body;
    const slow = /loginsights_tail_records_total\{outcome="dropped_slow"\} (\d+)/.exec(metrics);
    expect(Number(slow?.[1])).toBeGreaterThan(0);
    tail.close();
  }, 300_000);

  it('ends the streams of a revoked key with a revoked message and close code 4401', async () => {
    const [a, b] = [await newKey('ws a'), await newKey('ws b')];
    const byHeader = await SocketTail.open(wsBase, '', { headers: a.headers });
    const byMessage = await SocketTail.open(wsBase, '', { key: b.key });
    for (const { id } of [a, b]) expect((await svc.inject({ method: 'DELETE', url: `/auth/keys/${id}` })).statusCode).toBe(204);
    for (const tail of [byHeader, byMessage]) {
      expect(await tail.closedWith(5_000)).toEqual({ code: 4401, reason: 'the API key of this stream was revoked' });
      expect(tail.messages).toEqual([
        { type: 'ready', max_records_per_batch: 500 },
        { type: 'revoked', reason: 'the API key of this stream was revoked' },
      ]);
    }
  });

  it('shares the per-key cap with Server-Sent Events streams: 429 before the upgrade, or 4429 for a key sent as a message', async () => {
    const c = await newKey('ws c');
    const open: SocketTail[] = [];
    for (let i = 0; i < 9; i++) open.push(await SocketTail.open(wsBase, `source=cap${i}`, { headers: c.headers }));
    const sse = new AbortController();
    const events = await fetch(`${svc.url}/logs/tail`, { headers: c.headers, signal: sse.signal });
    expect(events.status).toBe(200);

    const refused = await refusedUpgrade(`${svc.url}/logs/tail`, c.headers);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'tail_limit', detail: expect.stringMatching(/at most 10 per key/) as unknown });
    const byMessage = await refusedAfterUpgrade(`${wsBase}/logs/tail`, JSON.stringify({ type: 'auth', key: c.key }));
    expect(byMessage).toMatchObject({ code: 4429, reason: expect.stringMatching(/at most 10 per key/) as unknown });
    // Another key still gets a stream.
    const other = await SocketTail.open(wsBase, '', { key: keys.read });
    sse.abort();
    for (const t of [...open, other]) t.close();
  });

  it('limits failed authentications by message as it limits failed requests: 4429, then 429 before the upgrade', async () => {
    const url = `${wsBase}/logs/tail`;
    // The admin key is verified (and cached) now, before the address is limited.
    expect((await svc.inject({ method: 'GET', url: '/logs?limit=1' })).statusCode).toBe(200);
    const guess = (i: number): string => JSON.stringify({ type: 'auth', key: `li_guess_${i}_000000000000000000000000000000000000` });
    // One socket is always upgraded ahead of its guess: once the address is limited, the next upgrade is
    // refused, and the socket already open gets 4429 for its guess.
    const codes: number[] = [];
    let ahead = await SocketTail.connect(url);
    for (let i = 0; i < 40; i++) {
      const next = await SocketTail.connect(url).catch(() => undefined);
      ahead.ws.send(guess(i));
      codes.push((await ahead.closedWith()).code);
      if (!next) break;
      ahead = next;
    }
    expect(codes.at(-1)).toBe(4429);
    expect(codes.slice(0, -1).every((c) => c === 4401)).toBe(true);
    const limited = await refusedUpgrade(`${svc.url}/logs/tail`);
    expect(limited).toMatchObject({ status: 429, body: { code: 'auth_rate_limited' } });
  }, 60_000);

  it('closes open WebSockets with 1001 when the server closes', async () => {
    // A service of its own: the address of the one above may be limited by the test before this one.
    const own = await startTestService(kind, {}, { listen: true });
    try {
      const tail = await SocketTail.open(own.url.replace(/^http/, 'ws'), '', { headers: { 'x-api-key': TEST_ADMIN_KEY } });
      const closing = own.app.close();
      expect((await tail.closedWith(30_000)).code).toBe(1001);
      own.app.server.closeAllConnections();
      await closing;
    } finally {
      await own.close();
    }
  }, 60_000);
});

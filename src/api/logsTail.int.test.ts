import { afterAll, beforeAll, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { generateNginxTimed, writeGeneratedLog } from '../../bench/generate.js';
import { describeBackends } from '../../test/helpers/db.js';
import { ADMIN_HEADERS } from '../../test/helpers/env.js';
import { allRecords, startTestService, uploadAndWait, type TestService } from '../../test/helpers/service.js';
import { probeAccessLog, siteAccessLog } from '../../test/helpers/siteLog.js';
import { SseParser, type SseEvent } from '../cli/sseFrames.js';
import { readCombined } from '../../test/helpers/logFiles.js';
import { RouteNormaliser } from '../parse/routes.js';
import { tailLogs } from '../cli/tailCommand.js';
import type { LogRow } from '../search/searchLogs.js';
import { createTailMetrics, LogTail, TailFullError } from '../search/tail.js';

/** Every record: the filter of a tail opened without parameters. */
const ALL = { startMs: null, endMs: null };

/** A live tail read as the dashboard reads it: fetch() with the key in a header and a streaming body. */
class Tail {
  readonly events: SseEvent[] = [];
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  done = false;

  static async open(base: string, query: string, headers: Record<string, string> = ADMIN_HEADERS): Promise<Tail> {
    const tail = new Tail();
    const res = await fetch(`${base}/logs/tail?${query}`, { headers, signal: tail.abort.signal });
    expect(res.status, await (res.status === 200 ? '' : res.text())).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    void tail.pump(res.body!);
    await tail.until((t) => t.events.some((e) => e.event === 'ready'), 'ready');
    return tail;
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const parser = new SseParser();
    const decoder = new TextDecoder();
    try {
      for await (const chunk of body) this.push(parser.push(decoder.decode(chunk, { stream: true })));
    } catch {
      // aborted
    }
    this.done = true;
    this.push([]);
  }

  private push(events: SseEvent[]): void {
    this.events.push(...events);
    for (const w of this.waiters.splice(0)) w();
  }

  get records(): LogRow[] {
    return this.events.filter((e) => e.event === 'record').map((e) => JSON.parse(e.data) as LogRow);
  }

  get dropped(): number {
    return this.events.filter((e) => e.event === 'dropped').reduce((n, e) => n + (JSON.parse(e.data) as { dropped: number }).dropped, 0);
  }

  async until(pred: (t: Tail) => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this)) {
      if (this.done || Date.now() > deadline) throw new Error(`tail: no ${what} (${this.records.length} records, ${this.dropped} dropped)`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  close(): void {
    this.abort.abort();
  }
}

describeBackends('GET /logs/tail on %s', (kind) => {
  let svc: TestService;
  const keys: Record<'read' | 'ingest', string> = { read: '', ingest: '' };

  const search = (query: string): Promise<LogRow[]> => allRecords(svc, query);
  const ingest = (body: Buffer | string, source: string): Promise<number> => uploadAndWait(svc, body, source);

  beforeAll(async () => {
    svc = await startTestService(kind, {}, { listen: true });
    for (const scope of ['read', 'ingest'] as const) {
      const res = await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name: `${scope} key`, scopes: [scope] } });
      keys[scope] = res.json<{ key: string }>().key;
    }
  });
  afterAll(async () => svc?.close());

  it('streams exactly the records GET /logs finds with the same filters, in file order, once the upload commits', async () => {
    // Subscribed first, so each batch reaches it before the others (the hub serves subscribers in order):
    // once the others have everything, it has been offered everything too.
    const none = await Tail.open(svc.url, 'source=site&status_code=5xx&q=no-such-text', { authorization: `Bearer ${keys.read}` });
    const errors = await Tail.open(svc.url, 'source=site&status_code=4xx,5xx&endpoint=/presentations/*');
    const all = await Tail.open(svc.url, 'source=site');
    // Two routes, a method and a status class, counted from the text: a line's route is the normaliser's output for its path.
    const normaliser = new RouteNormaliser();
    const siteLines = siteAccessLog().split('\n').filter((l) => l !== '').map((l) => {
      const f = readCombined(l)!;
      return { method: /^[^"]*"(\S+) /.exec(l)![1]!, route: normaliser.route(f.path)!, failed: f.status >= 400 };
    });
    const matches = (l: (typeof siteLines)[number]): boolean => l.method === 'GET' && l.failed;
    const perRoute = new Map<string, number>();
    for (const l of siteLines) if (matches(l)) perRoute.set(l.route, (perRoute.get(l.route) ?? 0) + 1);
    // Few enough that a stream's buffer holds them all.
    const routes = [...perRoute].filter(([, n]) => n <= 25).sort((a, b) => b[1] - a[1]).slice(0, 2).map(([r]) => r);
    expect(routes).toHaveLength(2);
    const routeQuery = `source=site&${routes.map((r) => `route=${encodeURIComponent(r)}`).join('&')}&method=GET&status_code=4xx,5xx`;
    const byRoute = await Tail.open(svc.url, routeQuery);
    await ingest(siteAccessLog(), 'site');

    const expectedByRoute = siteLines.filter((l) => matches(l) && routes.includes(l.route)).length;
    await byRoute.until((t) => t.records.length + t.dropped >= expectedByRoute, 'records of the routes');
    expect(byRoute.dropped).toBe(0);
    expect(byRoute.records.length).toBe(expectedByRoute);
    expect(new Set(byRoute.records.map((r) => r.route))).toEqual(new Set(routes));
    expect(byRoute.records).toEqual(await search(routeQuery));

    // The site log's four days (on the embedded database an endpoint search needs a range).
    const expectedErrors = await search('source=site&status_code=4xx,5xx&endpoint=/presentations/*&start_date=2015-05-17&end_date=2015-05-21');
    expect(expectedErrors.length).toBeGreaterThan(10);
    await errors.until((t) => t.records.length + t.dropped >= expectedErrors.length, 'error records');
    expect(errors.dropped).toBe(0);
    expect(errors.records.map((r) => r.line_no)).toEqual(expectedErrors.map((r) => r.line_no));
    expect(errors.records).toEqual(expectedErrors); // every field as GET /logs has it

    // 10,000 records in batches of 2,000 (INGEST_BATCH_ROWS): 500 of each are sent, the rest counted.
    const expectedAll = await search('source=site');
    await all.until((t) => t.records.length + t.dropped >= expectedAll.length, 'all records');
    expect(all.records.length + all.dropped).toBe(expectedAll.length);
    expect(all.dropped).toBeGreaterThan(0);
    const lineNos = all.records.map((r) => r.line_no);
    expect(lineNos).toEqual([...lineNos].sort((a, b) => a - b));
    const ids = new Set(expectedAll.map((r) => r.id));
    expect(all.records.every((r) => ids.has(r.id))).toBe(true);

    expect(none.events.filter((e) => e.event !== 'ready')).toEqual([]);
    for (const t of [none, errors, all, byRoute]) t.close();
  });

  it('asks for the read scope and names a bad parameter', async () => {
    const get = (query: string, headers: Record<string, string>) => fetch(`${svc.url}/logs/tail?${query}`, { headers });
    const anonymous = await get('', {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const ingestOnly = await get('', { authorization: `Bearer ${keys.ingest}` });
    expect(ingestOnly.status).toBe(403);
    const bad = await get('status_code=5zz', ADMIN_HEADERS);
    expect(bad.status).toBe(400);
    expect((await bad.json() as { invalid_params: { name: string }[] }).invalid_params[0]!.name).toBe('status_code');
    const badDate = await get('start_date=yesterday', ADMIN_HEADERS);
    expect((await badDate.json() as { invalid_params: { name: string }[] }).invalid_params[0]!.name).toBe('start_date');
  });

  it('never queues for a client that does not read: it gets a dropped count that accounts for every matching record', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-tail-'));
    try {
      const file = path.join(dir, 'bulk.log');
      writeGeneratedLog(file, { lines: 200_000, seed: 5 });
      // node:http rather than fetch: pause() stops reading the socket outright, so TCP fills up.
      const events: SseEvent[] = [];
      const parser = new SseParser();
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http.get(`${svc.url}/logs/tail?source=bulk`, { headers: ADMIN_HEADERS }, resolve).on('error', reject);
      });
      expect(res.statusCode).toBe(200);
      res.setEncoding('utf8');
      await new Promise<void>((resolve) => res.once('data', (text: string) => {
        events.push(...parser.push(text));
        resolve();
      }));
      expect(events[0]?.event).toBe('ready');
      res.pause();

      const expected = await ingest(fs.readFileSync(file), 'bulk');
      expect(expected).toBe(200_000);

      const count = () => events.reduce((n, e) => n + (e.event === 'record' ? 1 : e.event === 'dropped' ? (JSON.parse(e.data) as { dropped: number }).dropped : 0), 0);
      res.on('data', (text: string) => events.push(...parser.push(text)));
      res.resume();
      const deadline = Date.now() + 120_000;
      while (count() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(count()).toBe(expected);
      res.destroy();

      // Some of the drops were for want of room, not only the per-batch cap: back-pressure took effect.
      const metrics = (await svc.inject({ method: 'GET', url: '/metrics' })).body;
      const slow = /loginsights_tail_records_total\{outcome="dropped_slow"\} (\d+)/.exec(metrics);
      expect(Number(slow?.[1])).toBeGreaterThan(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('loginsights tail prints the raw lines of new matching records, and stops on Ctrl-C', async () => {
    const text = { stdout: '', stderr: '' };
    const sink = (name: 'stdout' | 'stderr') => new Writable({ write(chunk: Buffer, _enc, done) { text[name] += chunk.toString(); done(); } });
    const stop = new AbortController();
    // The probe log's few 405s (POST /xmlrpc.php): far fewer than a stream's 64 KiB buffer holds, so every
    // one is printed; its hundreds of 404s would overflow it and come out partly as a dropped count.
    const exit = tailLogs(
      { server: svc.url, apiKey: keys.read, source: 'probes', statusCode: '405' },
      { stdout: sink('stdout'), stderr: sink('stderr'), signal: stop.signal },
    );
    for (let i = 0; i < 600 && !text.stderr.includes('following'); i++) await new Promise((r) => setTimeout(r, 50));
    await ingest(probeAccessLog(), 'probes');
    const expected = (await search('source=probes&status_code=405')).map((r) => `${r.raw_log}\n`).join('');
    expect(expected.length).toBeGreaterThan(0);
    for (let i = 0; i < 600 && text.stdout.length < expected.length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(text.stdout).toBe(expected);
    stop.abort();
    expect(await exit).toBe(0);
  });

  /** A new key with the read scope. */
  async function readKey(name: string): Promise<{ id: number; key: string; headers: Record<string, string> }> {
    const res = await svc.inject({ method: 'POST', url: '/auth/keys', payload: { name, scopes: ['read'] } });
    const { id, key } = res.json<{ id: number; key: string }>();
    return { id, key, headers: { authorization: `Bearer ${key}` } };
  }

  it('ends the streams of a key revoked through the API at once, and of one revoked in the database (another process) within 10 s', async () => {
    const [a, b] = [await readKey('tail a'), await readKey('tail b')];
    const [tailA, tailB] = [await Tail.open(svc.url, '', a.headers), await Tail.open(svc.url, 'source=x', b.headers)];
    expect((await svc.inject({ method: 'DELETE', url: `/auth/keys/${a.id}` })).statusCode).toBe(204);
    await tailA.until((t) => t.done, 'end of the revoked key\'s stream', 5_000);
    expect(tailA.events.map((e) => e.event)).toEqual(['ready', 'revoked']);
    expect(tailB.done).toBe(false);

    // As `loginsights keys revoke`, or another process sharing the database, would.
    await svc.db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [b.id]);
    await tailB.until((t) => t.done, 'end of the stream of a key revoked in the database', 15_000);
    expect(tailB.events.at(-1)?.event).toBe('revoked');
    const metrics = (await svc.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^loginsights_tail_ended_total\{reason="revoked"\} 2$/m);
  }, 60_000);

  it('caps the streams of one key (429 tail_limit) apart from the cap of the process', async () => {
    const [c, d] = [await readKey('tail c'), await readKey('tail d')];
    const open: Tail[] = [];
    for (let i = 0; i < 10; i++) open.push(await Tail.open(svc.url, `source=cap${i}`, c.headers));
    const refused = await fetch(`${svc.url}/logs/tail`, { headers: c.headers });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ code: 'tail_limit', detail: expect.stringMatching(/at most 10 per key/) as unknown });
    const other = await Tail.open(svc.url, '', d.headers); // another key still gets a stream
    // A closed stream frees its slot (once the server sees the socket go).
    open.pop()!.close();
    let again: Response | undefined;
    for (let i = 0; i < 100 && again?.status !== 200; i++) {
      await again?.body?.cancel();
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      again = await fetch(`${svc.url}/logs/tail`, { headers: c.headers });
    }
    expect(again?.status).toBe(200);
    await again?.body?.cancel();
    for (const t of [...open, other]) t.close();
  });

  it('ends a stream whose client stopped reading once its buffer stayed full for idleMs, freeing its slot', async () => {
    // The tail module on its own, with a short idle time and one slot: a reader that never reads is what
    // a client that stopped reading its socket looks like, once the socket's buffers are full too.
    const registry = new Registry();
    const tail = new LogTail(svc.db, {
      maxSubscribers: 1, maxPerOwner: 1, maxRecordsPerBatch: 1000, heartbeatMs: 20, idleMs: 300, keyRecheckMs: 60_000,
      log: { warn: () => undefined, info: () => undefined }, metrics: createTailMetrics(registry),
    });
    try {
      const stuck = await tail.subscribe({ startMs: null, endMs: null, sources: ['idle'] }, { keyId: undefined, slot: 'addr:test' });
      await expect(tail.subscribe(ALL, { keyId: undefined, slot: 'addr:other' })).rejects.toThrow(TailFullError);
      const closed = new Promise((resolve) => stuck.once('close', resolve));
      await ingest(Buffer.from(`${[...generateNginxTimed({ lines: 400, seed: 9 })].join('\n')}\n`), 'idle');
      await closed; // the vitest timeout bounds the wait
      expect(await registry.getSingleMetricAsString('loginsights_tail_ended_total')).toMatch(/reason="idle"\} 1$/m);
      // Its slot is free: the one-slot tail takes a new stream.
      const next = await tail.subscribe(ALL, { keyId: undefined, slot: 'addr:other' });
      next.destroy();
    } finally {
      await tail.close();
    }
  });

  it('ends open streams when the server closes', async () => {
    const tail = await Tail.open(svc.url, '');
    const started = Date.now();
    const closing = svc.app.close();
    await tail.until((t) => t.done, 'end of stream', 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The stream is over. What may remain is a socket that the test's HTTP client (undici) opens after
    // an aborted fetch and never sends a request on: server.close() would wait for it until the
    // keep-alive timeout (72 s), whatever this route does.
    svc.app.server.closeAllConnections();
    await closing;
  });
});

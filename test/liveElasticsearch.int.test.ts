import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from './helpers/db.js';
import { accessLines, linesSummary, storedSummary, until } from './helpers/liveLines.js';
import { rsyslog, startRsyslog } from './helpers/rsyslog.js';
import { TEST_ADMIN_KEY } from './helpers/env.js';
import { startTestService, type TestService } from './helpers/service.js';

describeBackends('Elasticsearch _bulk into %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, {}, { listen: true });
  }, 60_000);
  afterAll(async () => svc?.close());

  it("takes the official client's bulk helper (handshake, product check, ApiKey), and stores each document's line exactly", async () => {
    const client = new Client({ node: `${svc.url}/es`, auth: { apiKey: TEST_ADMIN_KEY } });
    const info = await client.info();
    expect(info.version.number).toMatch(/^8\./);
    const lines = accessLines(3000, 21);
    const result = await client.helpers.bulk({
      datasource: lines.map((message, i) => ({ message, '@timestamp': new Date().toISOString(), n: i })),
      onDocument: () => ({ create: { _index: 'es-helper' } }),
      flushBytes: 100_000,
    });
    expect(result).toMatchObject({ total: 3000, successful: 3000, failed: 0 });
    expect(await until(() => storedSummary(svc, 'es-helper'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));
    await client.close();
  }, 60_000);

  it("narrows its answers by filter_path as shippers ask (Filebeat's and Logstash's), and the client's helper still sees a refused document", async () => {
    const client = new Client({ node: `${svc.url}/es`, auth: { apiKey: TEST_ADMIN_KEY } });
    const lines = accessLines(500, 23);
    const dropped: { status: number; type: string | undefined }[] = [];
    const result = await client.helpers.bulk<Record<string, unknown>>({
      datasource: [...lines.map((message) => ({ message })), { not_a_message: 1 }],
      onDocument: () => ({ create: { _index: 'es-filtered' } }),
      onDrop: (d) => dropped.push({ status: d.status, type: d.error?.type }),
      filter_path: 'errors,items.*.error,items.*.status',
      flushBytes: 1_000_000,
      retries: 0,
    });
    expect(result).toMatchObject({ total: 501, successful: 500, failed: 1 });
    expect(dropped).toEqual([{ status: 400, type: 'document_parsing_exception' }]);
    expect(await until(() => storedSummary(svc, 'es-filtered'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));
    await client.close();

    const headers = { authorization: `ApiKey ${TEST_ADMIN_KEY}`, 'content-type': 'application/x-ndjson' };
    const two = `${lines.slice(0, 2).map((message) => `{"create":{}}\n${JSON.stringify({ message })}\n`).join('')}`;
    const post = async (query: string): Promise<unknown> => {
      const res = await fetch(`${svc.url}/es/es-filtered/_bulk?${query}`, { method: 'POST', body: two, headers });
      expect(res.status).toBe(200);
      return res.json();
    };
    expect(await post('filter_path=errors,items.*.error,items.*.status')).toEqual({ errors: false, items: [{ create: { status: 201 } }, { create: { status: 201 } }] });
    expect(await post('filter_path=errors&refresh=false')).toEqual({ errors: false });
    expect(await post('filter_path=-items,-took')).toEqual({ errors: false });
    const version = await fetch(`${svc.url}/es/?filter_path=version.number`, { headers });
    expect(await version.json()).toEqual({ version: { number: expect.stringMatching(/^8\./) as string } });
    expect(await until(() => storedSummary(svc, 'es-filtered'), (s) => s.n >= lines.length + 6)).toMatchObject({ n: lines.length + 6 });
  }, 60_000);

  it('keeps concurrent requests apart, more of them than are read at once: each answered and stored exactly, gzip and chunked ones too', async () => {
    const headers = { authorization: `ApiKey ${TEST_ADMIN_KEY}`, 'content-type': 'application/x-ndjson' };
    const sent = new Map<string, string[]>();
    // Rounds of eight requests (four are read at once) for two sources, their sizes changing from round to round.
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 8 }, async (_, k) => {
        const source = `es-apart-${k % 2}`;
        const lines = accessLines(50 + 450 * ((k + round) % 4), 1_000 + 10 * round + k);
        sent.set(source, [...(sent.get(source) ?? []), ...lines]);
        const ndjson = Buffer.from(lines.map((message) => `{"create":{}}\n${JSON.stringify({ message })}\n`).join(''));
        const half = ndjson.length >> 1;
        const res = await fetch(`${svc.url}/es/${source}/_bulk`, k % 3 === 0
          ? { method: 'POST', body: zlib.gzipSync(ndjson), headers: { ...headers, 'content-encoding': 'gzip' } }
          : k % 3 === 1
            ? {
              method: 'POST', headers, duplex: 'half',
              body: new ReadableStream<Uint8Array>({ start(c) { c.enqueue(ndjson.subarray(0, half)); c.enqueue(ndjson.subarray(half)); c.close(); } }),
            }
            : { method: 'POST', body: ndjson, headers });
        expect(res.status).toBe(200);
        const answer = await res.json() as { errors: boolean; items: { create: { _index: string; status: number } }[] };
        expect(answer.errors).toBe(false);
        expect(answer.items).toHaveLength(lines.length);
        expect(answer.items.every((item) => item.create._index === source && item.create.status === 201)).toBe(true);
      }));
    }
    const rawLines = async (source: string): Promise<string[]> =>
      (await svc.db.query<{ raw_log: string }>('SELECT raw_log FROM logs WHERE source = $1', [source])).rows.map((r) => r.raw_log).sort();
    for (const [source, lines] of sent) {
      expect(await until(() => rawLines(source), (stored) => stored.length >= lines.length)).toEqual([...lines].sort());
    }
  }, 60_000);

  it('answers per item, takes gzip and the `source` field, and answers errors in its own shape', async () => {
    const lines = accessLines(20, 22);
    const ndjson = [
      ...lines.flatMap((message) => [JSON.stringify({ index: {} }), JSON.stringify({ message, source: 'es-raw' })]),
      JSON.stringify({ delete: { _id: 'x' } }),
      JSON.stringify({ index: {} }), JSON.stringify({ no_message: true }),
      '',
    ].join('\n');
    const res = await fetch(`${svc.url}/es/ignored-index/_bulk`, {
      method: 'POST', body: zlib.gzipSync(ndjson),
      headers: { authorization: `Basic ${Buffer.from(`user:${TEST_ADMIN_KEY}`).toString('base64')}`, 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const body = await res.json() as { errors: boolean; items: Record<string, { status: number; error?: { type: string } }>[] };
    expect(body.errors).toBe(true);
    expect(body.items.map((i) => Object.values(i)[0]!.status)).toEqual([...lines.map(() => 201), 400, 400]);
    expect(body.items[21]!.index!.error!.type).toBe('document_parsing_exception');
    expect(await until(() => storedSummary(svc, 'es-raw'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));

    // Bodies are read four at a time: a fifth _bulk waits (its body unread) until one of them ends.
    const stalled = Array.from({ length: 4 }, () => {
      const abort = new AbortController();
      const body = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new TextEncoder().encode('{"index":{}}\n')); } });
      const sent = fetch(`${svc.url}/es/x/_bulk`, {
        method: 'POST', body, signal: abort.signal, headers: { authorization: `ApiKey ${TEST_ADMIN_KEY}` }, duplex: 'half',
      }).catch(() => undefined);
      return { abort, sent };
    });
    await new Promise((r) => setTimeout(r, 300));
    let fifthDone = false;
    const fifth = fetch(`${svc.url}/es/x/_bulk`, { method: 'POST', body: ndjson, headers: { authorization: `ApiKey ${TEST_ADMIN_KEY}` } })
      .then((r) => ((fifthDone = true), r.status));
    await new Promise((r) => setTimeout(r, 500));
    expect(fifthDone).toBe(false);
    stalled[0]!.abort.abort();
    expect(await fifth).toBe(200);
    for (const st of stalled) st.abort.abort();
    await Promise.all(stalled.map((st) => st.sent));

    // A body that says gzip and is not: 400 in Elasticsearch's shape; one that inflates too far: 413.
    const gzipHeaders = { authorization: `ApiKey ${TEST_ADMIN_KEY}`, 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' };
    const notGzip = await fetch(`${svc.url}/es/x/_bulk`, { method: 'POST', body: ndjson, headers: gzipHeaders });
    expect(notGzip.status).toBe(400);
    expect(await notGzip.json()).toMatchObject({ status: 400, error: { type: 'illegal_argument_exception', reason: 'the body is not valid gzip' } });
    const bomb = await fetch(`${svc.url}/es/x/_bulk`, { method: 'POST', body: zlib.gzipSync(Buffer.alloc(101 * 1024 * 1024)), headers: gzipHeaders });
    expect(bomb.status).toBe(413);
    expect(await bomb.json()).toMatchObject({ status: 413, error: { type: 'content_too_long_exception' } });

    const anonymous = await fetch(`${svc.url}/es/_bulk`, { method: 'POST', body: ndjson });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ status: 401, error: { type: 'security_exception' } });
  }, 60_000);
});

// rsyslog's Elasticsearch output, following a file: the way a host with rsyslog ships to an Elasticsearch.
describeBackends('rsyslog omelasticsearch into %s', [rsyslog], (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, {}, { listen: true });
  }, 60_000);
  afterAll(async () => svc?.close());

  it('delivers the file it follows exactly, in bulk mode', async () => {
    const port = new URL(svc.url).port;
    const lines = accessLines(2000, 23);
    const forwarder = await startRsyslog((dir) => {
      fs.writeFileSync(path.join(dir, 'access.log'), `${lines.join('\n')}\n`);
      return `module(load="imfile")
module(load="omelasticsearch")
template(name="doc" type="list" option.jsonf="on") {
  property(outname="message" name="msg" format="jsonf")
}
input(type="imfile" File="${path.join(dir, 'access.log')}" Tag="web" ruleset="ship")
ruleset(name="ship") {
  action(type="omelasticsearch" server="http://127.0.0.1:${port}/es" searchIndex="rsys-es" template="doc" bulkmode="on"
         uid="shipper" pwd="${TEST_ADMIN_KEY}" errorFile="${path.join(dir, 'es-errors.json')}")
}`;
    });
    try {
      expect(await until(() => storedSummary(svc, 'rsys-es'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));
    } finally {
      await forwarder.stop();
    }
  }, 90_000);
});

import http from 'node:http';
import zlib from 'node:zlib';
import snappy from 'snappy';
import { afterAll, beforeAll, expect, it } from 'vitest';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import { pushRequestType } from '../src/api/routes/loki.js';
import { describeBackends } from './helpers/db.js';
import { TEST_ADMIN_KEY } from './helpers/env.js';
import { accessLines, linesSummary, storedSummary, until } from './helpers/liveLines.js';
import { startTestService, type TestService } from './helpers/service.js';

const BASIC = `Basic ${Buffer.from(`shipper:${TEST_ADMIN_KEY}`).toString('base64')}`;

interface Seen { contentType: string; status: number }

/** A forwarding proxy in front of the service that notes each request's content type and answer: what the client really sent. */
async function recordingProxy(target: string): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const to = new URL(target);
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      seen.push({ contentType: String(req.headers['content-type']), status: answer.statusCode ?? 0 });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Nanoseconds since the epoch as Loki's JSON writes them. */
const nowNs = (i = 0): string => String(BigInt(Date.now()) * 1_000_000n + BigInt(i));

describeBackends('Loki push into %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, {}, { listen: true });
  }, 60_000);
  afterAll(async () => svc?.close());

  const push = (body: string | Buffer, headers: Record<string, string>): Promise<Response> =>
    fetch(`${svc.url}/loki/api/v1/push`, { method: 'POST', body, headers: { authorization: BASIC, ...headers } });

  it('takes winston-loki pushing snappy protobuf with Basic auth, and stores each line exactly', async () => {
    const proxy = await recordingProxy(svc.url);
    const failures: unknown[] = [];
    const transport = new LokiTransport({
      host: proxy.url, basicAuth: `shipper:${TEST_ADMIN_KEY}`, labels: { job: 'winston' }, json: false,
      // The line is the message alone: without a format of its own, winston-loki appends the other fields as JSON.
      format: winston.format.printf((info) => String(info.message)),
      interval: 0.2, timeout: 10_000, gracefulShutdown: false, onConnectionError: (err) => failures.push(err),
    });
    const logger = winston.createLogger({ transports: [transport] });
    const lines = accessLines(3000, 31);
    try {
      for (const line of lines) logger.info(line);
      expect(await until(() => storedSummary(svc, 'winston'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));
    } finally {
      await transport.close();
      await proxy.close();
    }
    expect(failures).toEqual([]);
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(proxy.seen.filter((r) => r.contentType !== 'application/x-protobuf' || r.status !== 204)).toEqual([]);
  }, 60_000);

  it('takes JSON in gzip, with structured metadata, lines holding newlines, and the source from `source`, else `job`', async () => {
    const lines = accessLines(20, 32);
    const other = accessLines(5, 33);
    const body = { streams: [
      { stream: { job: 'loki-json', level: 'info' }, values: [
        ...lines.slice(0, 17).map((l, i) => [nowNs(i), l]),
        [nowNs(17), lines[17], { trace_id: '4bf92f3577b34da6', user: 'u1' }],
        [nowNs(18), `${lines[18]}\r\n${lines[19]}`],
      ] },
      { stream: { source: 'loki-source', job: 'loki-json' }, values: other.map((l, i) => [nowNs(i), l]) },
    ] };
    const res = await push(zlib.gzipSync(JSON.stringify(body)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await until(() => storedSummary(svc, 'loki-json'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));
    expect(await until(() => storedSummary(svc, 'loki-source'), (s) => s.n >= other.length)).toEqual(linesSummary(other));
  }, 60_000);

  it("answers errors as Loki does, in plain text, and keeps nothing of a refused request", async () => {
    const json = { 'content-type': 'application/json' };
    const text = async (res: Response): Promise<[number, string, string]> => [res.status, String(res.headers.get('content-type')), await res.text()];

    const anonymous = await fetch(`${svc.url}/loki/api/v1/push`, { method: 'POST', body: '{}', headers: json });
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await text(anonymous)).toEqual([401, 'text/plain; charset=utf-8', expect.stringMatching(/a valid API key is required .*Basic with the key as password/)]);

    const protobuf = { 'content-type': 'application/x-protobuf' };
    expect(await text(await push(Buffer.from('not snappy at all'), protobuf))).toEqual([400, 'text/plain; charset=utf-8', 'the body is not a valid snappy block\n']);
    // A snappy header stating 100 MiB: refused before anything is inflated.
    expect((await text(await push(Buffer.from([0x80, 0x80, 0x80, 0x32, 0, 0]), protobuf)))[0]).toBe(413);
    const badLabels = snappy.compressSync(Buffer.from(pushRequestType.encode(pushRequestType.fromObject({ streams: [{ labels: 'job=web', entries: [{ line: 'x' }] }] })).finish()));
    expect(await text(await push(badLabels, protobuf))).toEqual([400, 'text/plain; charset=utf-8', expect.stringMatching(/^labels "job=web": expected \{/)]);

    const noSource = { streams: [
      { stream: { job: 'loki-refused' }, values: [[nowNs(), accessLines(1, 34)[0]]] },
      { stream: { level: 'info', env: 'prod' }, values: [[nowNs(), 'x']] },
    ] };
    expect(await text(await push(JSON.stringify(noSource), json))).toEqual([400, 'text/plain; charset=utf-8',
      'stream 1 {level="info", env="prod"} has none of the labels source, job, host, service_name: one of them names the source of its lines\n']);
    // Lines are journaled only after the whole request is read: no segment was begun for the good stream.
    expect((await svc.db.query("SELECT id FROM ingest_jobs WHERE source = 'loki-refused'")).rows).toEqual([]);

    expect((await text(await push('{}', { 'content-type': 'text/plain' })))[0]).toBe(415);
    expect((await text(await push('{}', { ...json, 'content-encoding': 'br' })))[0]).toBe(415);
    expect((await text(await push('{"streams": [', json)))[0]).toBe(400);
    expect((await push('{}', json)).status).toBe(204);
  });

  it('reads a body without a content type as snappy protobuf, as Loki does, and takes `Content-Encoding: snappy` for it', async () => {
    const lines = accessLines(10, 35);
    const message = pushRequestType.fromObject({ streams: [{ labels: '{host="loki-bare", level="warn"}', entries: lines.map((line) => ({ line })) }] });
    const res = await fetch(`${svc.url}/loki/api/v1/push`, {
      method: 'POST', body: snappy.compressSync(Buffer.from(pushRequestType.encode(message).finish())), headers: { authorization: BASIC, 'content-encoding': 'snappy' },
    });
    expect(res.status).toBe(204);
    expect(await until(() => storedSummary(svc, 'loki-bare'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));
  });
});

import zlib from 'node:zlib';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtobufExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ExportLogsServiceRequest, Status } from '../src/api/routes/otlp.js';
import { describeBackends } from './helpers/db.js';
import { accessLines, linesSummary, storedSummary, until } from './helpers/liveLines.js';
import { TEST_ADMIN_KEY } from './helpers/env.js';
import { startTestService, type TestService } from './helpers/service.js';

const AUTH = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

/** An OTLP JSON request: one resource per source (null: no service.name), each body a log line. */
function jsonRequest(resources: [source: string | null, lines: string[]][]): string {
  return JSON.stringify({
    resourceLogs: resources.map(([source, lines]) => ({
      resource: { attributes: source === null ? [] : [{ key: 'service.name', value: { stringValue: source } }] },
      scopeLogs: [{ scope: { name: 'raw' }, logRecords: lines.map((l) => ({ timeUnixNano: '1796548532000000000', body: { stringValue: l } })) }],
    })),
  });
}

describeBackends('OTLP/HTTP logs into %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, {}, { listen: true });
  }, 60_000);
  afterAll(async () => svc?.close());

  // The OpenTelemetry JS SDK as an application uses it: a LoggerProvider whose resource names the
  // service, records batched by the BatchLogRecordProcessor and sent by the exporter under test.
  const viaSdk = async (exporter: LogRecordExporter, source: string, lines: string[]): Promise<void> => {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': source, 'host.name': 'ignored-host' }),
      processors: [new BatchLogRecordProcessor({ exporter, maxQueueSize: lines.length, maxExportBatchSize: 500 })],
    });
    const logger = provider.getLogger('liveOtlp.int.test');
    for (const body of lines) logger.emit({ body, severityText: 'INFO', attributes: { 'log.file.name': 'access.log' } });
    await provider.forceFlush();
    await provider.shutdown();
  };

  it('stores exactly what the SDK exports as http/protobuf (gzip)', async () => {
    const lines = accessLines(3000, 31);
    const exporter = new ProtobufExporter({ url: `${svc.url}/v1/logs`, headers: AUTH, compression: CompressionAlgorithm.GZIP });
    await viaSdk(exporter, 'otlp-proto', lines);
    expect(await until(() => storedSummary(svc, 'otlp-proto'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));
  }, 60_000);

  it('stores exactly what the SDK exports as http/json', async () => {
    const lines = accessLines(3000, 32);
    await viaSdk(new JsonExporter({ url: `${svc.url}/v1/logs`, headers: AUTH }), 'otlp-json', lines);
    expect(await until(() => storedSummary(svc, 'otlp-json'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));
  }, 60_000);

  it('takes gzip JSON, and counts the records of a resource without a source in partial_success', async () => {
    const lines = accessLines(20, 33);
    const res = await fetch(`${svc.url}/v1/logs`, {
      method: 'POST',
      body: zlib.gzipSync(jsonRequest([['otlp-raw', lines], [null, lines.slice(0, 2)]])),
      headers: { ...AUTH, 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedLogRecords: '2', errorMessage: '2 log records of a resource with neither service.name nor host.name, which name the source' },
    });
    expect(await until(() => storedSummary(svc, 'otlp-raw'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));

    const whole = await fetch(`${svc.url}/v1/logs`, { method: 'POST', body: jsonRequest([['otlp-raw-2', lines]]), headers: { ...AUTH, 'content-type': 'application/json' } });
    expect(await whole.json()).toEqual({});
  }, 60_000);

  it("answers errors as a google.rpc.Status in the request's encoding: no key 401, garbage 400, too large 413", async () => {
    const post = (body: Uint8Array | string, headers: Record<string, string>) => fetch(`${svc.url}/v1/logs`, { method: 'POST', body, headers });
    const protobufStatus = async (res: Response) => {
      expect(res.headers.get('content-type')).toBe('application/x-protobuf');
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { head: [...bytes.subarray(0, 2)], ...(Status.toObject(Status.decode(bytes)) as { code?: number; message: string }) };
    };
    const request = ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject({})).finish();

    const anonymous = await post(request, { 'content-type': 'application/x-protobuf' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    // Field 1 (code) a varint, 16 UNAUTHENTICATED: read independently of the route's schema.
    const unauthenticated = await protobufStatus(anonymous);
    expect(unauthenticated.head).toEqual([0x08, 16]);
    expect(unauthenticated.code).toBe(16);
    expect(unauthenticated.message).toMatch(/^a valid API key is required/);

    const anonymousJson = await post('{}', { 'content-type': 'application/json' });
    expect(anonymousJson.status).toBe(401);
    expect(await anonymousJson.text()).toBe(JSON.stringify({ code: 16, message: unauthenticated.message }));

    const garbage = await post('this is not protobuf', { ...AUTH, 'content-type': 'application/x-protobuf' });
    expect(garbage.status).toBe(400);
    const invalid = await protobufStatus(garbage);
    expect(invalid.code).toBe(3);
    expect(invalid.message).toMatch(/^the body is not an ExportLogsServiceRequest in protobuf: invalid wire type/);

    const bomb = await post(zlib.gzipSync(Buffer.alloc(65 * 1024 * 1024)), { ...AUTH, 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    expect(bomb.status).toBe(413);
    expect((await protobufStatus(bomb)).message).toBe('the gzip body inflates past 67108864 bytes');

    const other = await post('a line', { ...AUTH, 'content-type': 'text/plain' });
    expect(other.status).toBe(415);
    expect(await other.json()).toEqual({ code: 3, message: 'content-type text/plain is not OTLP: send application/x-protobuf or application/json' });

    const empty = await post(request, { ...AUTH, 'content-type': 'application/x-protobuf' });
    expect(empty.status).toBe(200);
    expect((await empty.arrayBuffer()).byteLength).toBe(0);
  }, 60_000);
});

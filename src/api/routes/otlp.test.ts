import { SeverityNumber } from '@opentelemetry/api-logs';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { journalTexts } from '../../../test/helpers/liveLines.js';
import { AppError } from '../errors.js';
import { decodeLogsRequest, exportLogsResponse, readLogsRequest, sourceOf, type LogsRequest, type OtlpEncoding } from './otlp.js';

const LINE = '203.0.113.7 - - [06/Dec/2026:10:15:32 +0100] "GET /api/orders/8812 HTTP/1.1" 200 5316 "-" "curl/8.5"';

/** Records as the OpenTelemetry JS SDK makes them: string bodies with severity, times and attributes, and one map body. */
async function sdkRecords(attributes: Record<string, string>): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resourceFromAttributes(attributes), processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('otlp.test', '1.0.0');
  logger.emit({ body: LINE, severityNumber: SeverityNumber.INFO, severityText: 'INFO', attributes: { 'http.route': '/api/orders/{id}' } });
  logger.emit({ body: `${LINE}\r\n${LINE}`, timestamp: new Date('2026-12-06T09:15:32Z') });
  logger.emit({ body: { message: LINE, status: 200 } });
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

const serialized = (records: ReadableLogRecord[], encoding: OtlpEncoding): Buffer =>
  Buffer.from((encoding === 'protobuf' ? ProtobufLogsSerializer : JsonLogsSerializer).serializeRequest(records)!);

const thrown = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('nothing thrown');
};

describe.each<OtlpEncoding>(['protobuf', 'json'])('a request serialized by the OpenTelemetry JS SDK, in %s', (encoding) => {
  it("reads each string body as lines of the resource's service.name, and rejects the map body by name", async () => {
    const request = decodeLogsRequest(serialized(await sdkRecords({ 'service.name': 'web-1', 'host.name': 'h1' }), encoding), encoding);
    const { lines, rejected } = readLogsRequest(request);
    expect(journalTexts(lines)).toEqual(new Map([['web-1', [LINE, LINE, LINE]]]));
    expect(rejected).toEqual(new Map([['log records whose body is not a string but kvlistValue: the log line goes in a string body', 1]]));
  });

  it('takes host.name when the SDK names no service (its unknown_service placeholder)', async () => {
    const request = decodeLogsRequest(serialized(await sdkRecords({ 'service.name': 'unknown_service:node', 'host.name': 'h1' }), encoding), encoding);
    expect([...readLogsRequest(request).lines.keys()]).toEqual(['h1']);
  });
});

describe('the source of a resource', () => {
  const resource = (attributes: Record<string, unknown>) => ({
    attributes: Object.entries(attributes).map(([key, value]) => ({ key, value: value as { stringValue?: string } })),
  });
  it('is service.name, else host.name', () => {
    expect(sourceOf(resource({ 'service.name': { stringValue: 'api' }, 'host.name': { stringValue: 'h1' } }))).toBe('api');
    expect(sourceOf(resource({ 'host.name': { stringValue: 'h1' } }))).toBe('h1');
    expect(sourceOf(resource({ 'service.name': { stringValue: '' }, 'host.name': { stringValue: 'h1' } }))).toBe('h1');
  });
  it("keeps an SDK's unknown_service placeholder only when there is no host.name", () => {
    expect(sourceOf(resource({ 'service.name': { stringValue: 'unknown_service:node' }, 'host.name': { stringValue: 'h1' } }))).toBe('h1');
    expect(sourceOf(resource({ 'service.name': { stringValue: 'unknown_service' } }))).toBe('unknown_service');
    expect(sourceOf(resource({ 'service.name': { stringValue: 'unknown_services' }, 'host.name': { stringValue: 'h1' } }))).toBe('unknown_services');
  });
  it('is none without either as a string', () => {
    expect(sourceOf(undefined)).toBeUndefined();
    expect(sourceOf(resource({ 'service.namespace': { stringValue: 'shop' } }))).toBeUndefined();
    expect(sourceOf(resource({ 'service.name': { intValue: '7' } }))).toBeUndefined();
  });
});

describe('partial success', () => {
  const json = (request: unknown): LogsRequest => decodeLogsRequest(Buffer.from(JSON.stringify(request)), 'json');
  const records = (...bodies: unknown[]) => [{ scopeLogs: [{ logRecords: bodies.map((body) => ({ body })) }] }];
  const withSource = (name: string, ...bodies: unknown[]) => ({
    resource: { attributes: [{ key: 'service.name', value: { stringValue: name } }] }, ...records(...bodies)[0],
  });

  it('takes what it can and counts the rest by reason', () => {
    const { lines, rejected } = readLogsRequest(json({
      resourceLogs: [
        { resource: { attributes: [{ key: 'k8s.pod.name', value: { stringValue: 'p' } }] }, ...records({ stringValue: LINE }, { stringValue: LINE })[0] },
        withSource('x'.repeat(201), { stringValue: LINE }),
        withSource('api', { stringValue: LINE }, {}, null, { intValue: '5' }, { stringValue: '' }),
      ],
    }));
    expect(journalTexts(lines)).toEqual(new Map([['api', [LINE, '']]]));
    expect(rejected).toEqual(new Map([
      ['log records of a resource with neither service.name nor host.name, which name the source', 2],
      ['log records whose source (service.name or host.name) is over 200 characters or holds control characters', 1],
      ['log records without a body', 2],
      ['log records whose body is not a string but intValue: the log line goes in a string body', 1],
    ]));
  });

  it("answers in the request's encoding, as the SDK reads it back", () => {
    const rejected = new Map([['log records without a body', 2], ['log records of a resource with neither service.name nor host.name, which name the source', 1]]);
    const expected = {
      partialSuccess: {
        rejectedLogRecords: 3,
        errorMessage: '2 log records without a body; 1 log records of a resource with neither service.name nor host.name, which name the source',
      },
    };
    const protobuf = exportLogsResponse(rejected, 'protobuf') as Buffer;
    expect(ProtobufLogsSerializer.deserializeResponse(protobuf)).toEqual(expected);
    const asJson = Buffer.from(JSON.stringify(exportLogsResponse(rejected, 'json')));
    expect(JsonLogsSerializer.deserializeResponse(asJson)).toEqual({ partialSuccess: { ...expected.partialSuccess, rejectedLogRecords: '3' } });
  });

  it('leaves partial_success unset when everything was taken, as the specification asks', () => {
    expect(exportLogsResponse(new Map(), 'protobuf')).toEqual(Buffer.alloc(0));
    expect(exportLogsResponse(new Map(), 'json')).toEqual({});
  });
});

describe('decoding', () => {
  it('accepts the JSON encoding whole: unknown fields, nulls, int64 as strings or numbers, hex trace ids', () => {
    const request = decodeLogsRequest(Buffer.from(JSON.stringify({
      resourceLogs: [{
        resource: { attributes: [{ key: 'host.name', value: { stringValue: 'h1' } }], droppedAttributesCount: 0, entityRefs: [] },
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        scopeLogs: [{
          scope: { name: 'x', version: null },
          logRecords: [
            { timeUnixNano: '1796548532000000000', observedTimeUnixNano: 1796548532000000000, severityNumber: 9, traceId: '5B8EFFF798038103D269B633813FC60C', body: { stringValue: LINE }, eventName: 'e' },
            { body: { stringValue: LINE }, attributes: null, flags: 1 },
          ],
        }, { logRecords: null }],
      }, { resource: null, scopeLogs: null }],
      futureField: true,
    })), 'json');
    const { lines, rejected } = readLogsRequest(request);
    expect(journalTexts(lines)).toEqual(new Map([['h1', [LINE, LINE]]]));
    expect(rejected).toEqual(new Map());
  });

  it('takes an empty request as one without records', () => {
    expect(readLogsRequest(decodeLogsRequest(Buffer.alloc(0), 'protobuf'))).toEqual({ lines: new Map(), rejected: new Map() });
    expect(readLogsRequest(decodeLogsRequest(Buffer.from('{}'), 'json'))).toEqual({ lines: new Map(), rejected: new Map() });
  });

  it('answers 400 for bytes that are not an ExportLogsServiceRequest', () => {
    for (const [body, encoding] of [
      ['this is not protobuf', 'protobuf'], ['\x0a\x05abc', 'protobuf'], ['{"resourceLogs": [', 'json'],
      ['[1, 2]', 'json'], ['{"resourceLogs": {"scopeLogs": []}}', 'json'], ['{"resourceLogs": [{"scopeLogs": [{"logRecords": [7]}]}]}', 'json'],
    ] as const) {
      const err = thrown(() => decodeLogsRequest(Buffer.from(body, 'latin1'), encoding));
      expect(err.status, body).toBe(400);
      expect(err.message, body).toMatch(/^the body is not an ExportLogsServiceRequest/);
    }
  });
});

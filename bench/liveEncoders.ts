/**
 * Request bodies of the HTTP live inputs, as their shippers send them: Elasticsearch _bulk NDJSON,
 * Loki's snappy-compressed protobuf PushRequest, OTLP/HTTP protobuf ExportLogsServiceRequest. The
 * protobuf messages are encoded with the server's own schemas (src/api/routes/loki.ts, otlp.ts); the
 * tests (test/liveLoki.int.test.ts, test/liveOtlp.int.test.ts) show that the real clients' bytes
 * decode with them too.
 */
import snappy from 'snappy';
import { pushRequestType } from '../src/api/routes/loki.js';
import { ExportLogsServiceRequest } from '../src/api/routes/otlp.js';

export interface LiveRequest {
  url: string;
  body: Buffer;
  headers: Record<string, string>;
}

export type LiveEncoder = (server: string, source: string, lines: readonly string[]) => LiveRequest;

export const LIVE_ENCODERS: Record<'bulk' | 'loki' | 'otlp', LiveEncoder> = {
  // With the filter_path Filebeat and Logstash send: the answer carries each item's status (and error), not its ids and shards.
  bulk: (server, source, lines) => ({
    url: `${server}/es/${encodeURIComponent(source)}/_bulk?filter_path=errors,items.*.error,items.*.status`,
    body: Buffer.from(lines.map((message) => `{"create":{}}\n${JSON.stringify({ message, '@timestamp': new Date().toISOString() })}\n`).join('')),
    headers: { 'content-type': 'application/x-ndjson' },
  }),
  loki: (server, source, lines) => {
    const ns = BigInt(Date.now()) * 1_000_000n;
    const seconds = Number(ns / 1_000_000_000n);
    const request = pushRequestType.fromObject({
      streams: [{ labels: `{job="bench", source="${source}"}`, entries: lines.map((line) => ({ timestamp: { seconds, nanos: 0 }, line })) }],
    });
    return {
      url: `${server}/loki/api/v1/push`,
      body: snappy.compressSync(Buffer.from(pushRequestType.encode(request).finish())),
      headers: { 'content-type': 'application/x-protobuf' },
    };
  },
  otlp: (server, source, lines) => {
    const now = String(BigInt(Date.now()) * 1_000_000n);
    const request = ExportLogsServiceRequest.fromObject({
      resourceLogs: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: source } }] },
        scopeLogs: [{ logRecords: lines.map((line) => ({ timeUnixNano: now, body: { stringValue: line } })) }],
      }],
    });
    return {
      url: `${server}/v1/logs`,
      body: Buffer.from(ExportLogsServiceRequest.encode(request).finish()),
      headers: { 'content-type': 'application/x-protobuf' },
    };
  },
};

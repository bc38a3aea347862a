import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import protobuf from 'protobufjs';
import { z } from 'zod';
import type { LiveJournal } from '../../live/journal.js';
import { LinesBySource, type JournalLines } from '../../live/journalLines.js';
import { BodySlots } from '../bodySlots.js';
import { AppError } from '../errors.js';
import { appendLiveLines } from '../liveAppend.js';
import { requestBytes, SOURCE_NAME, takeBodiesAsBytes } from '../liveBody.js';
import { LiveDecoder } from '../liveDecode.js';

export interface OtlpDeps {
  journal: LiveJournal;
}

/** The limit the OTLP specification recommends for a body, compressed or inflated (413 past it). */
const MAX_OTLP_BODY_BYTES = 64 * 1024 * 1024;
/** Requests whose bodies are read at once, and how many more may wait for a slot (src/api/bodySlots.ts). */
const BODY_SLOTS = 4;
const BODY_WAITING = 256;
/** What OpenTelemetry SDKs send as service.name when the application set none (e.g. `unknown_service:node`). */
const UNSET_SERVICE = /^unknown_service(:|$)/;

export type OtlpEncoding = 'protobuf' | 'json';
const CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/**
 * The parts of opentelemetry-proto that this input reads or writes, with their real field numbers
 * (collector/logs/v1/logs_service.proto, logs/v1/logs.proto, resource/v1/resource.proto,
 * common/v1/common.proto, google/rpc/status.proto). Fields not declared (times, severity, trace ids,
 * scope, attributes of a record) are skipped on decoding, as protobuf skips any unknown field; package
 * names do not travel on the wire, so one package holds them all. Status `details` (3) are never sent.
 */
const PROTO = `syntax = "proto3";
message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; }
message ScopeLogs { repeated LogRecord log_records = 2; }
message LogRecord { AnyValue body = 5; }
message Resource { repeated KeyValue attributes = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
message ExportLogsPartialSuccess { int64 rejected_log_records = 1; string error_message = 2; }
message Status { int32 code = 1; string message = 2; }
`;
const proto = protobuf.parse(PROTO).root;
export const ExportLogsServiceRequest = proto.lookupType('ExportLogsServiceRequest');
const ExportLogsServiceResponse = proto.lookupType('ExportLogsServiceResponse');
export const Status = proto.lookupType('Status');

/**
 * A request as the OTLP JSON encoding writes it (lowerCamelCase, null for a default), which is also
 * what protobufjs's toObject gives for a binary one: one validation for both. Unknown fields are
 * dropped, as the specification asks of JSON receivers.
 */
const anyValue = z.looseObject({ stringValue: z.string().nullish() }).nullish();
const logsRequest = z.object({
  resourceLogs: z.array(z.object({
    resource: z.object({ attributes: z.array(z.object({ key: z.string().nullish(), value: anyValue })).nullish() }).nullish(),
    scopeLogs: z.array(z.object({ logRecords: z.array(z.object({ body: anyValue })).nullish() })).nullish(),
  })).nullish(),
});
export type LogsRequest = z.infer<typeof logsRequest>;
type Resource = NonNullable<NonNullable<LogsRequest['resourceLogs']>[number]['resource']>;

/** The other members of AnyValue's oneof, as a rejection names them. */
const NON_STRING_BODIES = ['kvlistValue', 'arrayValue', 'intValue', 'doubleValue', 'boolValue', 'bytesValue'];

/** gRPC's code for an HTTP status (google.rpc.Code's own mapping); clients read the HTTP status, this is for their logs. */
const GRPC_CODES: Record<number, number> = {
  400: 3, 401: 16, 403: 7, 404: 5, 408: 4, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14, 504: 4,
};
const GRPC_UNKNOWN = 2;

/** Errors as the specification asks: a google.rpc.Status, in JSON here (see the onSend hook for protobuf). */
function otlpStatus(p: { status: number; code: string; detail: string }): { contentType: string; body: unknown } {
  return { contentType: CONTENT_TYPES.json, body: { code: GRPC_CODES[p.status] ?? GRPC_UNKNOWN, message: p.detail } };
}

const config = { access: 'ingest' as const, protocolError: otlpStatus };

/**
 * OTLP/HTTP logs, the way OpenTelemetry SDKs and the Collector's `otlphttp` exporter send them:
 * `POST /v1/logs`, binary protobuf or JSON. A log record's string body is a log line of the source its
 * resource names (`service.name`, else `host.name`); the lines are journaled (src/live/journal.ts)
 * before the answer, so a 200 means they are on disk. Records that cannot be taken are counted in the
 * answer's `partial_success`, which clients log and do not retry.
 */
export function otlpRoutes(deps: OtlpDeps): FastifyPluginAsync {
  return async (app) => {
    takeBodiesAsBytes(app, MAX_OTLP_BODY_BYTES);

    // A body is read whole (up to MAX_OTLP_BODY_BYTES, and as much again inflated and decoded): BODY_SLOTS at once.
    const slots = new BodySlots({ slots: BODY_SLOTS, waiting: BODY_WAITING, what: 'OTLP requests', code: 'too_many_otlp_requests' });
    app.addHook('onRequest', async (_req, reply) => slots.holdFor(reply));
    // Bodies are decoded off the event loop (src/api/liveDecode.ts).
    const decoder = new LiveDecoder();
    app.addHook('onClose', async () => decoder.close());

    // protocolError (src/api/errors.ts) does not see the request, so it writes every Status as JSON;
    // the specification wants the request's encoding, which is known here.
    app.addHook('onSend', async (req, reply, payload) => {
      const json = String(reply.getHeader('content-type') ?? '').startsWith(CONTENT_TYPES.json);
      if (reply.statusCode < 400 || !json || typeof payload !== 'string' || encodingOf(req) !== 'protobuf') return payload;
      void reply.type(CONTENT_TYPES.protobuf);
      return Buffer.from(Status.encode(Status.fromObject(JSON.parse(payload) as Record<string, unknown>)).finish());
    });

    const schema = {
      tags: ['live ingestion'],
      summary: 'OTLP/HTTP logs: log lines from OpenTelemetry SDKs and Collectors',
      description: 'An `ExportLogsServiceRequest` as binary protobuf (`application/x-protobuf`) or JSON (`application/json`), gzip too, '
        + `at most ${MAX_OTLP_BODY_BYTES / 1024 / 1024} MiB compressed or inflated. A log record's string body is a log line (several with newlines) `
        + "of the source named by its resource's `service.name`, else `host.name` (an SDK's `unknown_service…` defers to `host.name`). "
        + "A record's time is read from its line: `timeUnixNano`, severity and attributes are not kept. Records without a source or with a body "
        + 'other than a string are rejected and counted in `partial_success`. Answered once the lines are on disk, in the encoding of the request. '
        + 'Keys: `Authorization: Bearer <key>`, X-API-Key, or Basic with the key as password (ingest scope). Errors, a missing key\'s 401 included, '
        + 'are `google.rpc.Status` messages (`code`, `message`) in the encoding of the request, not problem+json; clients retry a 429 (with Retry-After) or a 503.',
      consumes: [CONTENT_TYPES.protobuf, CONTENT_TYPES.json],
    };
    app.post('/v1/logs', { config, schema }, async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      const encoding = encodingOf(req);
      if (!encoding) {
        throw new AppError(415, 'unsupported_media_type', `content-type ${req.headers['content-type'] ?? '(none)'} is not OTLP: send application/x-protobuf or application/json`);
      }
      const { lines, rejected } = await decoder.decode({ input: 'otlp', encoding }, await requestBytes(req, MAX_OTLP_BODY_BYTES));
      await appendLiveLines(deps.journal, 'otlp', lines, req.log);
      const answer = exportLogsResponse(rejected, encoding);
      void reply.type(CONTENT_TYPES[encoding]);
      return answer;
    });
  };
}

/** The encoding a request's Content-Type names; undefined for anything else. */
function encodingOf(req: FastifyRequest): OtlpEncoding | undefined {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === CONTENT_TYPES.protobuf ? 'protobuf' : type === CONTENT_TYPES.json ? 'json' : undefined;
}

/** An ExportLogsServiceRequest from its bytes; a 400 when they are not one. */
export function decodeLogsRequest(body: Buffer, encoding: OtlpEncoding): LogsRequest {
  let decoded: unknown;
  try {
    decoded = encoding === 'protobuf'
      ? ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(body), { longs: String, bytes: String })
      : JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new AppError(400, 'bad_request', `the body is not an ExportLogsServiceRequest in ${encoding}: ${(err as Error).message}`);
  }
  const parsed = logsRequest.safeParse(decoded);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError(400, 'bad_request', `the body is not an ExportLogsServiceRequest: ${issue.path.join('.') || 'request'}: ${issue.message}`);
  }
  return parsed.data;
}

export interface LogsBatch {
  /** Each source's lines, in the order of the request. */
  lines: Map<string, JournalLines>;
  /** Log records not taken: how many for each reason. */
  rejected: Map<string, number>;
}

/**
 * The lines of a request by source, and the records that were not taken. A body other than a string
 * (a structured logger's map, a number …) is rejected, not written out as JSON: a log line is the text
 * a server wrote, and a map has no one text (key order, int64 as strings, bytes as base64 are the
 * writer's choice). The rejection reaches the sender in `partial_success`, where it can be fixed.
 */
export function readLogsRequest(request: LogsRequest): LogsBatch {
  const lines = new LinesBySource();
  const rejected = new Map<string, number>();
  const reject = (reason: string, n = 1): void => {
    if (n > 0) rejected.set(reason, (rejected.get(reason) ?? 0) + n);
  };
  for (const resourceLogs of request.resourceLogs ?? []) {
    const records = (resourceLogs.scopeLogs ?? []).flatMap((s) => s.logRecords ?? []);
    const source = sourceOf(resourceLogs.resource);
    if (source === undefined || !SOURCE_NAME.test(source)) {
      reject(source === undefined ? 'log records of a resource with neither service.name nor host.name, which name the source'
        : 'log records whose source (service.name or host.name) is over 200 characters or holds control characters', records.length);
      continue;
    }
    for (const { body } of records) {
      if (typeof body?.stringValue !== 'string') {
        const kind = NON_STRING_BODIES.find((k) => body?.[k] !== undefined && body[k] !== null);
        reject(kind ? `log records whose body is not a string but ${kind}: the log line goes in a string body` : 'log records without a body');
        continue;
      }
      lines.of(source).addString(body.stringValue);
    }
  }
  return { lines: lines.finish(), rejected };
}

/**
 * The source a resource names: service.name, else host.name (a Collector tailing files with the
 * resourcedetection processor sets only that). An SDK's `unknown_service:node` placeholder names just
 * the runtime, so host.name goes first when there is one.
 */
export function sourceOf(resource: Resource | null | undefined): string | undefined {
  const attribute = (key: string): string | undefined => {
    const value = resource?.attributes?.find((a) => a.key === key)?.value?.stringValue;
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const service = attribute('service.name');
  const host = attribute('host.name');
  return service !== undefined && !(UNSET_SERVICE.test(service) && host !== undefined) ? service : host;
}

/** An ExportLogsServiceResponse: empty on full success, else `partial_success` with the count and the reasons. */
export function exportLogsResponse(rejected: Map<string, number>, encoding: OtlpEncoding): Buffer | Record<string, unknown> {
  let count = 0;
  for (const n of rejected.values()) count += n;
  const reasons = [...rejected].map(([reason, n]) => `${n} ${reason}`).join('; ');
  const response = count === 0 ? {} : { partialSuccess: { rejectedLogRecords: String(count), errorMessage: reasons } };
  if (encoding === 'json') return response;
  return Buffer.from(ExportLogsServiceResponse.encode(ExportLogsServiceResponse.fromObject(response)).finish());
}

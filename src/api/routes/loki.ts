import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import protobuf from 'protobufjs';
import snappy from 'snappy';
import { z } from 'zod';
import type { LiveJournal } from '../../live/journal.js';
import { LinesBySource, type JournalLines } from '../../live/journalLines.js';
import { BodySlots } from '../bodySlots.js';
import { AppError } from '../errors.js';
import { appendLiveLines } from '../liveAppend.js';
import { requestBytes, SOURCE_NAME, takeBodiesAsBytes } from '../liveBody.js';
import { LiveDecoder } from '../liveDecode.js';

export interface LokiDeps {
  journal: LiveJournal;
}

/**
 * A push body's bound, as sent and once inflated (gzip, snappy). Promtail and Alloy send batches of
 * 1 MiB by default; Loki's own bound is its gRPC message size (100 MB).
 */
export const MAX_PUSH_BYTES = 64 * 1024 * 1024;
/** Push requests read at once, and how many more may wait for a slot (src/api/bodySlots.ts). */
const PUSH_SLOTS = 4;
const PUSH_WAITING = 256;
/** The labels that may name a stream's source, the first present wins: ours, then what Promtail, Alloy and OpenTelemetry set. */
const SOURCE_LABELS = ['source', 'job', 'host', 'service_name'] as const;

/** Loki answers its errors as plain text, which its clients log as they are. */
function lokiError(p: { status: number; code: string; detail: string }): { contentType: string; body: unknown } {
  return { contentType: 'text/plain; charset=utf-8', body: `${p.detail}\n` };
}

const config = { access: 'ingest' as const, protocolError: lokiError };

/** A stream of a push request: its labels and its entries' lines, in request order. */
export interface PushStream {
  labels: Map<string, string>;
  lines: string[];
}

/**
 * Loki's push API (`POST /loki/api/v1/push`), as Promtail, Grafana Alloy, Fluent Bit's `loki` output,
 * Vector's `loki` sink and the Loki client libraries speak it. Each entry's line is a log line of the
 * source its stream's labels name (SOURCE_LABELS); the lines are journaled (src/live/journal.ts)
 * before the answer, so a 204 means they are on disk. As Loki, a request is taken whole or refused whole.
 */
export function lokiRoutes(deps: LokiDeps): FastifyPluginAsync {
  return async (app) => {
    // Bodies as bytes, whatever the content type: the route says which it takes (415 for others, as Loki does not).
    takeBodiesAsBytes(app, MAX_PUSH_BYTES);

    // A body is read whole (up to MAX_PUSH_BYTES, and as much again inflated and decoded): PUSH_SLOTS at once.
    const slots = new BodySlots({ slots: PUSH_SLOTS, waiting: PUSH_WAITING, what: 'Loki push requests', code: 'too_many_push_requests' });
    app.addHook('onRequest', async (_req, reply) => slots.holdFor(reply));
    // Bodies are decoded off the event loop (src/api/liveDecode.ts).
    const decoder = new LiveDecoder();
    app.addHook('onClose', async () => decoder.close());

    app.post('/loki/api/v1/push', {
      config,
      schema: {
        tags: ['live ingestion'],
        summary: 'Loki push: log lines from Promtail, Alloy, Fluent Bit, Vector and Loki clients',
        description: "Snappy-compressed protobuf (`application/x-protobuf`, the clients' default) or JSON (`application/json`, gzip "
          + "too) of streams; each entry's line is a log line, its source the stream's `source` label, else `job`, `host` or "
          + '`service_name`. Answered 204 once the lines are on disk. The entry timestamp is not kept: a record\'s time is the '
          + "one its line holds. Keys: Basic with the key as password (what Loki clients send), Bearer or X-API-Key (ingest scope). "
          + 'Errors, a missing key\'s 401 included, are plain text as Loki sends them, not problem+json.',
        consumes: ['application/x-protobuf', 'application/json'],
        response: { 204: z.null().describe('The lines are on disk') },
      },
    }, async (req, reply) => {
      const wire = wireOf(req);
      // Some clients name the protobuf body's own snappy as its encoding (Loki issue 3407): nothing more to undo.
      const body = await requestBytes(req, MAX_PUSH_BYTES, wire === 'protobuf' ? ['snappy'] : []);
      const { lines } = await decoder.decode({ input: 'loki', wire }, body);
      await appendLiveLines(deps.journal, 'loki', lines, req.log);
      return reply.code(204).send(null);
    });
  };
}

/** How a push request's body is encoded, from its content type as Loki reads it. */
function wireOf(req: FastifyRequest): 'protobuf' | 'json' {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  // Loki reads a body without a content type as protobuf.
  const wire = type === '' || type === 'application/x-protobuf' ? 'protobuf' : type === 'application/json' ? 'json' : null;
  if (!wire) throw new AppError(415, 'unsupported_media_type', `content-type ${type} is not taken: send application/x-protobuf (snappy) or application/json`);
  return wire;
}

/** The inflated length a snappy block states first (a little-endian base-128 varint of at most 32 bits); null when malformed. */
export function snappyLength(block: Uint8Array): number | null {
  let length = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const byte = block[i]!;
    length += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return length <= 0xffffffff ? length : null;
  }
  return null;
}

/** A snappy block (not the framed format) inflated; its stated length checked before anything is allocated. */
export function unsnappy(block: Buffer): Buffer {
  const length = snappyLength(block);
  if (length === null) throw new AppError(400, 'bad_snappy', 'the body is not a snappy block: a protobuf push body is snappy-compressed');
  if (length > MAX_PUSH_BYTES) throw new AppError(413, 'body_too_large', `the snappy body inflates to ${length} bytes, past ${MAX_PUSH_BYTES}`);
  try {
    return snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch {
    throw new AppError(400, 'bad_snappy', 'the body is not a valid snappy block');
  }
}

/** Loki's logproto.PushRequest (pkg/push/push.proto), the fields a push carries; google.protobuf.Timestamp declared alike. */
const PUSH_PROTO = `
syntax = "proto3";
package logproto;
message PushRequest { repeated StreamAdapter streams = 1; }
message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
message EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
message LabelPairAdapter { string name = 1; string value = 2; }
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`;
export const pushRequestType = protobuf.parse(PUSH_PROTO).root.lookupType('logproto.PushRequest');

interface DecodedPush {
  streams?: { labels?: string; entries?: { line?: string }[] }[];
}

export function decodeProtobufPush(bytes: Uint8Array): PushStream[] {
  let push: DecodedPush;
  try {
    push = pushRequestType.decode(bytes) as DecodedPush;
  } catch (err) {
    throw new AppError(400, 'bad_protobuf', `the body is not a logproto.PushRequest: ${(err as Error).message}`);
  }
  return (push.streams ?? []).map((s) => ({
    labels: parseLabels(s.labels ?? ''),
    lines: (s.entries ?? []).map((e) => e.line ?? ''),
  }));
}

/** Nanoseconds since the epoch, as Loki's JSON carries them: a string of digits. */
const nanos = z.string().regex(/^\d{1,19}$/, 'a timestamp is a string of nanoseconds since the epoch');
const jsonPush = z.object({
  streams: z.array(z.object({
    stream: z.record(z.string(), z.string()),
    // [time, line] or [time, line, structured metadata].
    values: z.array(z.tuple([nanos, z.string(), z.record(z.string(), z.string()).optional()])).default([]),
  })).default([]),
});

export function decodeJsonPush(bytes: Buffer): PushStream[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new AppError(400, 'bad_json', 'the body is not JSON');
  }
  const push = jsonPush.safeParse(value);
  if (!push.success) {
    const issue = push.error.issues[0]!;
    const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').slice(1);
    throw new AppError(400, 'bad_push', `${where || 'body'}: ${issue.message}`);
  }
  return push.data.streams.map((s, i) => {
    const labels = new Map(Object.entries(s.stream));
    for (const name of labels.keys()) {
      if (!LABEL_NAME.test(name)) throw new AppError(400, 'bad_labels', `streams[${i}].stream: ${JSON.stringify(name)} is not a label name`);
    }
    return { labels, lines: s.values.map((v) => v[1]) };
  });
}

/**
 * The lines of the streams by source, each source's in request order; an entry's line holding newlines
 * is several lines (a trailing \r dropped from each), as an upload's would be. A stream without a source
 * refuses the whole request: Loki's API has no partial acceptance to report it with.
 */
export function linesBySource(streams: readonly PushStream[]): Map<string, JournalLines> {
  const lines = new LinesBySource();
  streams.forEach((stream, i) => {
    if (stream.lines.length === 0) return;
    const source = SOURCE_LABELS.map((l) => stream.labels.get(l)).find((v) => v !== undefined && v !== '');
    if (source === undefined) {
      throw new AppError(400, 'no_source',
        `stream ${i} ${printLabels(stream.labels)} has none of the labels ${SOURCE_LABELS.join(', ')}: one of them names the source of its lines`);
    }
    if (!SOURCE_NAME.test(source)) {
      throw new AppError(400, 'bad_source', `stream ${i} ${printLabels(stream.labels)}: a source has 1–200 characters and no control characters`);
    }
    const into = lines.of(source);
    for (const entry of stream.lines) into.addString(entry);
  });
  return lines.finish();
}

function printLabels(labels: Map<string, string>): string {
  return `{${[...labels].map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`.slice(0, 300);
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NAME_AT = /[a-zA-Z_][a-zA-Z0-9_]*/y;
/** Go's one-letter escapes in a double-quoted string (strconv.Quote writes labels' values so). */
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v' };
const HEX_DIGITS: Record<string, number> = { x: 2, u: 4, U: 8 };

/**
 * A stream's labels in Prometheus syntax, as Loki clients write them (Go's labels.String()):
 * `{job="web", host="h1"}`, `{}` for none. Values are Go string literals: escapes \" \\ \n \t \r \a \b
 * \f \v, \uHHHH, \UHHHHHHHH, and \xHH below 0x80 (above, it is a byte of invalid UTF-8). Space around
 * the tokens and a trailing comma are allowed, as Prometheus's grammar allows them; a repeated name is
 * not. Anything else: 400, saying where.
 */
export function parseLabels(text: string): Map<string, string> {
  const labels = new Map<string, string>();
  let i = 0;
  function fail(what: string): never {
    const at = i < text.length ? `at offset ${i}` : 'at the end';
    throw new AppError(400, 'bad_labels', `labels ${JSON.stringify(text.slice(0, 200))}: ${what} ${at}`);
  }
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const take = (c: string): void => {
    skipSpace();
    if (text[i] !== c) fail(`expected ${c}`);
    i++;
  };
  function quoted(): string {
    let value = '';
    for (;;) {
      const c = text[i++];
      if (c === undefined || c === '\n') fail('unterminated value');
      if (c === '"') return value;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const e = text[i++] ?? '';
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        value += simple;
        continue;
      }
      const digits = HEX_DIGITS[e];
      const hex = text.slice(i, i + (digits ?? 0));
      const code = digits !== undefined && hex.length === digits && /^[0-9a-fA-F]+$/.test(hex) ? parseInt(hex, 16) : -1;
      if (code < 0 || (e === 'x' && code > 0x7f) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) fail(`bad escape \\${e}${hex}`);
      value += String.fromCodePoint(code);
      i += digits!;
    }
  }

  take('{');
  skipSpace();
  while (text[i] !== '}') {
    NAME_AT.lastIndex = i;
    const name = NAME_AT.exec(text)?.[0];
    if (name === undefined) fail('expected a label name');
    i += name.length;
    take('=');
    take('"');
    const value = quoted();
    if (labels.has(name)) fail(`label ${name} repeated`);
    labels.set(name, value);
    skipSpace();
    if (text[i] === ',') {
      i++;
      skipSpace();
    } else if (text[i] !== '}') fail('expected , or }');
  }
  i++;
  skipSpace();
  if (i < text.length) fail('unexpected text after }');
  return labels;
}

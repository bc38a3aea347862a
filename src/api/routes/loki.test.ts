import protobuf from 'protobufjs';
import snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import { journalTexts } from '../../../test/helpers/liveLines.js';
import { AppError } from '../errors.js';
import { decodeJsonPush, decodeProtobufPush, linesBySource, parseLabels, pushRequestType, snappyLength, type PushStream } from './loki.js';

/** What a call throws, as status and message. */
function refusal(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('did not throw');
}

describe('parseLabels', () => {
  it('reads labels as Go writes them, and with space around the tokens', () => {
    expect(parseLabels('{job="web", host="h1"}')).toEqual(new Map([['job', 'web'], ['host', 'h1']]));
    expect(parseLabels('  { job = "web" ,host="h1" , }  ')).toEqual(new Map([['job', 'web'], ['host', 'h1']]));
    expect(parseLabels('{__name__="x",_a9="",B="é ☃"}')).toEqual(new Map([['__name__', 'x'], ['_a9', ''], ['B', 'é ☃']]));
  });

  it('reads no labels from {}', () => {
    expect(parseLabels('{}')).toEqual(new Map());
    expect(parseLabels('{ }')).toEqual(new Map());
  });

  it("undoes Go's escapes", () => {
    expect(parseLabels(String.raw`{a="say \"hi\"", b="C:\\logs\\", c="one\ntwo\tthree\r"}`))
      .toEqual(new Map([['a', 'say "hi"'], ['b', 'C:\\logs\\'], ['c', 'one\ntwo\tthree\r']]));
    expect(parseLabels(String.raw`{a="\x00\x7f", b="\u00e9\U0001F600"}`)).toEqual(new Map([['a', '\x00\x7f'], ['b', 'é😀']]));
    // A value holding a comma, a brace or an equals sign is still one value.
    expect(parseLabels('{a="x,y}", b="k=v"}')).toEqual(new Map([['a', 'x,y}'], ['b', 'k=v']]));
  });

  it('refuses what is not a label set, with 400 saying where', () => {
    const cases: [string, RegExp][] = [
      ['', /expected \{ at the end/],
      ['job="web"', /expected \{ at offset 0/],
      ['{job="web"', /expected , or \} at the end/],
      ['{job="web" host="h1"}', /expected , or \} at offset 11/],
      ['{job=web}', /expected " at offset 5/],
      ['{job="web}', /unterminated value/],
      ['{job="a\nb"}', /unterminated value/],
      ['{9job="web"}', /expected a label name at offset 1/],
      ['{"job"="web"}', /expected a label name/],
      ['{job.name="web"}', /expected =/],
      ['{,}', /expected a label name/],
      ['{job="web",,}', /expected a label name/],
      ['{job="a", job="b"}', /label job repeated/],
      ['{job="web"} x', /unexpected text after \}/],
      [String.raw`{job="\q"}`, /bad escape \\q/],
      [String.raw`{job="\x80"}`, /bad escape \\x80/],
      [String.raw`{job="\u12"}`, /bad escape \\u12/],
      [String.raw`{job="\ud800"}`, /bad escape \\ud800/],
      [String.raw`{job="\U00110000"}`, /bad escape/],
    ];
    for (const [text, message] of cases) {
      const r = refusal(() => parseLabels(text));
      expect(r.status, text).toBe(400);
      expect(r.message, text).toMatch(message);
    }
  });
});

interface WireEntry { seconds: number; nanos: number; line: string; metadata?: [string, string][] }

/**
 * A PushRequest written field by field from push.proto's numbers, not from the route's schema: what
 * Promtail's gogo-protobuf encoder sends.
 */
function wirePush(streams: { labels: string; entries: WireEntry[] }[]): Uint8Array {
  const field = (n: number, type: 0 | 2): number => (n << 3) | type;
  const w = protobuf.Writer.create();
  for (const s of streams) {
    w.uint32(field(1, 2)).fork();
    w.uint32(field(1, 2)).string(s.labels);
    for (const e of s.entries) {
      w.uint32(field(2, 2)).fork();
      w.uint32(field(1, 2)).fork().uint32(field(1, 0)).int64(e.seconds).uint32(field(2, 0)).int32(e.nanos).ldelim();
      w.uint32(field(2, 2)).string(e.line);
      for (const [name, value] of e.metadata ?? []) w.uint32(field(3, 2)).fork().uint32(field(1, 2)).string(name).uint32(field(2, 2)).string(value).ldelim();
      w.ldelim();
    }
    w.uint32(field(3, 0)).uint64(9_007_199_254_740_991);
    w.ldelim();
  }
  return w.finish();
}

describe('decodeProtobufPush', () => {
  it('reads the streams and lines of a PushRequest as written on the wire, structured metadata and hash aside', () => {
    const bytes = wirePush([
      { labels: '{job="web", level="info"}', entries: [
        { seconds: 1_765_000_000, nanos: 123, line: 'GET / 200' },
        { seconds: 1_765_000_001, nanos: 0, line: 'two\nlines ☃', metadata: [['trace_id', 'abc'], ['user', 'u1']] },
      ] },
      { labels: '{}', entries: [] },
    ]);
    expect(decodeProtobufPush(snappy.uncompressSync(snappy.compressSync(Buffer.from(bytes)), { asBuffer: true }) as Buffer)).toEqual([
      { labels: new Map([['job', 'web'], ['level', 'info']]), lines: ['GET / 200', 'two\nlines ☃'] },
      { labels: new Map(), lines: [] },
    ]);
  });

  it('reads back what its own schema encodes', () => {
    const message = pushRequestType.fromObject({
      streams: [{ labels: '{source="a"}', entries: [{ timestamp: { seconds: 1, nanos: 2 }, line: 'x', structuredMetadata: [{ name: 'k', value: 'v' }] }] }],
    });
    expect(decodeProtobufPush(pushRequestType.encode(message).finish())).toEqual([{ labels: new Map([['source', 'a']]), lines: ['x'] }]);
  });

  it('refuses bytes that are not a PushRequest, and labels that do not parse, with 400', () => {
    expect(refusal(() => decodeProtobufPush(Buffer.from([0x0a, 0xff, 0x01, 0x02])))).toMatchObject({ status: 400, message: /logproto\.PushRequest/ });
    expect(refusal(() => decodeProtobufPush(wirePush([{ labels: 'job=web', entries: [] }])))).toMatchObject({ status: 400, message: /expected \{/ });
  });
});

describe('snappyLength', () => {
  it("reads the inflated length a snappy block states, as the snappy package's blocks state it", () => {
    for (const size of [0, 1, 127, 128, 16_383, 16_384, 1_000_000]) expect(snappyLength(snappy.compressSync(Buffer.alloc(size, 'a'))), String(size)).toBe(size);
    expect(snappyLength(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]))).toBe(0xffffffff);
  });

  it('says null for a header that is cut short or longer than 32 bits', () => {
    expect(snappyLength(Buffer.alloc(0))).toBeNull();
    expect(snappyLength(Buffer.from([0x80, 0x80]))).toBeNull();
    expect(snappyLength(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10]))).toBeNull();
    expect(snappyLength(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).toBeNull();
  });
});

describe('decodeJsonPush', () => {
  it('reads [time, line] and [time, line, structured metadata] values', () => {
    const body = { streams: [
      { stream: { job: 'web' }, values: [['1765000000000000000', 'a'], ['1765000000000000001', 'b', { trace_id: 'abc' }]] },
      { stream: {}, values: [] },
    ] };
    expect(decodeJsonPush(Buffer.from(JSON.stringify(body)))).toEqual([
      { labels: new Map([['job', 'web']]), lines: ['a', 'b'] },
      { labels: new Map(), lines: [] },
    ]);
    expect(decodeJsonPush(Buffer.from('{}'))).toEqual([]);
  });

  it('refuses what Loki refuses, naming the place, with 400', () => {
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[]', /^body: /],
      ['{"streams":[{"stream":{"job":"web"},"values":[[1765000000000000000,"a"]]}]}', /^streams\[0\]\.values\[0\]\[0\]: /],
      ['{"streams":[{"stream":{"job":"web"},"values":[["17650000000000000000","a"]]}]}', /^streams\[0\]\.values\[0\]\[0\]: a timestamp is a string/],
      ['{"streams":[{"stream":{"job":"web"},"values":[["1","a",{"n":1}]]}]}', /^streams\[0\]\.values\[0\]\[2\]\.n: /],
      ['{"streams":[{"stream":{"job":"web"},"values":[["1"]]}]}', /^streams\[0\]\.values\[0\]/],
      ['{"streams":[{"stream":{"job":3},"values":[]}]}', /^streams\[0\]\.stream\.job: /],
      ['{"streams":[{"stream":{"job.name":"x"},"values":[]}]}', /^streams\[0\]\.stream: "job\.name" is not a label name/],
    ];
    for (const [body, message] of cases) {
      const r = refusal(() => decodeJsonPush(Buffer.from(body)));
      expect(r.status, body).toBe(400);
      expect(r.message, body).toMatch(message);
    }
  });
});

describe('linesBySource', () => {
  const stream = (labels: Record<string, string>, lines: string[]): PushStream => ({ labels: new Map(Object.entries(labels)), lines });

  it('names the source from source, else job, host, service_name; empty values count as absent', () => {
    const lines = linesBySource([
      stream({ job: 'j', source: 's', host: 'h' }, ['1']),
      stream({ host: 'h', job: 'j' }, ['2']),
      stream({ service_name: 'svc', host: 'h' }, ['3']),
      stream({ service_name: 'svc', source: '' }, ['4']),
      stream({ job: 'j', level: 'info' }, ['5']),
    ]);
    expect(journalTexts(lines)).toEqual(new Map([['s', ['1']], ['j', ['2', '5']], ['h', ['3']], ['svc', ['4']]]));
  });

  it('splits a line holding newlines into lines, each without a trailing \\r', () => {
    expect(journalTexts(linesBySource([stream({ job: 'j' }, ['a\r\nb\nc\r', 'd', ''])]))).toEqual(new Map([['j', ['a', 'b', 'c', 'd', '']]]));
  });

  it('refuses the whole request for one stream without a source, naming it; a stream without entries needs none', () => {
    expect(linesBySource([stream({ level: 'info' }, [])])).toEqual(new Map());
    const r = refusal(() => linesBySource([stream({ job: 'j' }, ['1']), stream({ level: 'info', env: 'prod' }, ['2'])]));
    expect(r).toEqual({ status: 400, message: 'stream 1 {level="info", env="prod"} has none of the labels source, job, host, service_name: one of them names the source of its lines' });
    expect(refusal(() => linesBySource([stream({ job: 'a\tb' }, ['1'])]))).toMatchObject({ status: 400, message: /stream 0 .*no control characters/ });
    expect(refusal(() => linesBySource([stream({ job: 'x'.repeat(201) }, ['1'])])).status).toBe(400);
  });
});

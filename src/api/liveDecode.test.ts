import snappy from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { journalTexts } from '../../test/helpers/liveLines.js';
import { AppError } from './errors.js';
import { LiveDecoder } from './liveDecode.js';
import { decodeProtobufPush, linesBySource, pushRequestType, unsnappy } from './routes/loki.js';
import { decodeLogsRequest, readLogsRequest } from './routes/otlp.js';

const LINE = '203.0.113.7 - - [06/Dec/2026:10:15:32 +0100] "GET /api/orders/8812 HTTP/1.1" 200 5316 "-" "curl/8.5"';

/** A snappy-compressed Loki push of `n` entries in two streams (sources web and api). */
function lokiPush(n: number): Buffer {
  const entries = (tag: string): { timestamp: { seconds: number; nanos: number }; line: string }[] =>
    Array.from({ length: n / 2 }, (_, k) => ({ timestamp: { seconds: 1_765_000_000, nanos: k }, line: `${LINE} ${tag}${k}` }));
  const push = pushRequestType.fromObject({ streams: [{ labels: '{source="web"}', entries: entries('w') }, { labels: '{job="api"}', entries: entries('a') }] });
  return snappy.compressSync(Buffer.from(pushRequestType.encode(push).finish()));
}

/** An OTLP/JSON export: two string bodies of `svc`, one map body (rejected). */
const otlpJson = (svc: string): Buffer => Buffer.from(JSON.stringify({
  resourceLogs: [{
    resource: { attributes: [{ key: 'service.name', value: { stringValue: svc } }] },
    scopeLogs: [{ logRecords: [{ body: { stringValue: LINE } }, { body: { kvlistValue: { values: [] } } }, { body: { stringValue: `${LINE}\nnext` } }] }],
  }],
}));

describe('LiveDecoder', () => {
  let decoder: LiveDecoder;
  afterEach(async () => decoder?.close());

  it("decodes in its thread into the lines the inputs' own functions make, Loki's and OTLP's", async () => {
    decoder = new LiveDecoder();
    const push = lokiPush(1_000);
    const loki = await decoder.decode({ input: 'loki', wire: 'protobuf' }, Buffer.from(push));
    expect(journalTexts(loki.lines)).toEqual(journalTexts(linesBySource(decodeProtobufPush(unsnappy(push)))));
    expect(loki.lines.get('web')!.lines).toBe(500);
    expect(loki.rejected).toEqual(new Map());

    const otlp = await decoder.decode({ input: 'otlp', encoding: 'json' }, otlpJson('shop'));
    const inThread = readLogsRequest(decodeLogsRequest(otlpJson('shop'), 'json'));
    expect(journalTexts(otlp.lines)).toEqual(journalTexts(inThread.lines));
    expect(journalTexts(otlp.lines).get('shop')).toEqual([LINE, LINE, 'next']);
    expect(otlp.rejected).toEqual(inThread.rejected);
    expect(otlp.rejected.size).toBe(1);
  });

  it('lets the event loop turn while a body is decoded', async () => {
    decoder = new LiveDecoder();
    let turned = false;
    setImmediate(() => (turned = true));
    await decoder.decode({ input: 'loki', wire: 'protobuf' }, lokiPush(100_000));
    expect(turned).toBe(true);
  });

  it("answers a refusal as the input's own AppError, and goes on decoding", async () => {
    decoder = new LiveDecoder();
    const refused = await decoder.decode({ input: 'loki', wire: 'protobuf' }, Buffer.from('not snappy at all')).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 400, code: 'bad_snappy' });
    const badOtlp = await decoder.decode({ input: 'otlp', encoding: 'json' }, Buffer.from('{"resourceLogs": 3}')).catch((err: unknown) => err);
    expect(badOtlp).toMatchObject({ status: 400, code: 'bad_request' });
    expect((await decoder.decode({ input: 'otlp', encoding: 'json' }, otlpJson('after'))).lines.has('after')).toBe(true);
  });

  it('hands over a body that owns its memory, and copies a view of shared memory, leaving it whole', async () => {
    decoder = new LiveDecoder();
    const json = otlpJson('own');
    const own = Buffer.alloc(json.length); // never a slice of Node's pool
    json.copy(own);
    expect((await decoder.decode({ input: 'otlp', encoding: 'json' }, own)).lines.has('own')).toBe(true);
    expect(own.byteLength).toBe(0); // transferred
    // Small buffers are slices of Node's shared pool: the slice is copied, it and its neighbours stay readable.
    const pooled = Buffer.from('{"resourceLogs":[]}');
    const neighbour = Buffer.from('a neighbour in the pool');
    expect(neighbour.buffer).toBe(pooled.buffer);
    await decoder.decode({ input: 'otlp', encoding: 'json' }, pooled);
    expect(pooled.toString()).toBe('{"resourceLogs":[]}');
    expect(neighbour.toString()).toBe('a neighbour in the pool');
  });

  it('fails the bodies it holds when closed, and starts a new thread for the next one', async () => {
    decoder = new LiveDecoder();
    const held = decoder.decode({ input: 'loki', wire: 'protobuf' }, lokiPush(100_000)).then(() => 'decoded', (err: Error) => err.message);
    await decoder.close();
    expect(await held).toBe('the live decoder was closed');
    expect((await decoder.decode({ input: 'otlp', encoding: 'json' }, otlpJson('again'))).lines.has('again')).toBe(true);
  });
});

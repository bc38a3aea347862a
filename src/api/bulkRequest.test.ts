import { describe, expect, it } from 'vitest';
import type { JournalLines } from '../live/journalLines.js';
import { bulkAnswer, readBulk } from './bulkRequest.js';
import { FilterPath } from './filterPath.js';

/** A source's journal lines as strings, newlines dropped. */
const texts = (l: JournalLines | undefined): string[] | undefined => l && l.data.toString('utf8').split('\n').slice(0, -1);
const bySource = (lines: Map<string, JournalLines>): Record<string, string[] | undefined> => Object.fromEntries([...lines].map(([s, l]) => [s, texts(l)]));

type Item = Record<string, { _index: string; _id: string; status: number; error?: { type: string } }>;

describe('readBulk', () => {
  it("answers each item with its own action's index and id, repeated action lines included", async () => {
    const body = [
      '{"create":{"_index":"web-1"}}', '{"message":"a"}',
      '{"create":{"_index":"web-1"}}', '{"message":"b"}',
      '{"index":{"_index":"web-2","_id":"has \\"quotes\\""}}', '{"message":"c"}',
      '{"index":{"_index":"web-2","_id":"has \\"quotes\\""}}', '{"message":"d\\r\\ne"}',
      '{"create":{}}', '{"message":"f"}',
      '{"create":{}}', '{"nomessage":1}',
      '',
    ].join('\n');
    const { items, errors, lines } = await readBulk(Buffer.from(body), 'from-url');
    const answer = JSON.parse(`[${items.toString()}]`) as Item[];
    expect(errors).toBe(true);
    expect(answer.map((item) => Object.keys(item)[0])).toEqual(['create', 'create', 'index', 'index', 'create', 'create']);
    const results = answer.map((item) => Object.values(item)[0]!);
    expect(results.map((r) => [r._index, r.status])).toEqual([
      ['web-1', 201], ['web-1', 201], ['web-2', 201], ['web-2', 201], ['from-url', 201], ['from-url', 400],
    ]);
    expect(results[2]!._id).toBe('has "quotes"');
    expect(results[3]!._id).toBe('has "quotes"');
    // Generated ids: Elasticsearch's 20 URL-safe characters, one per item.
    const generated = [0, 1, 4, 5].map((k) => results[k]!._id);
    for (const id of generated) expect(id).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(new Set(generated).size).toBe(4);
    expect(results[5]!.error!.type).toBe('document_parsing_exception');
    expect(bySource(lines)).toEqual({ 'web-1': ['a', 'b'], 'web-2': ['c', 'd', 'e'], 'from-url': ['f'] });
  });
});

describe('readBulk over many items', () => {
  it('skips blank lines (spaces, CR, a no-break space), answers every item once, and keeps the lines in order', async () => {
    const blanks = ['', '  \t', '\r', '\u00a0'];
    const body = Array.from({ length: 1_200 }, (_, k) => `{"create":{}}\n${blanks[k % 4]}\n{"message":"line ${k}"}\n`).join('');
    const { items, errors, lines } = await readBulk(Buffer.from(body), 'many');
    expect(errors).toBe(false);
    const answer = JSON.parse(`[${items.toString()}]`) as Item[];
    expect(answer).toHaveLength(1_200);
    expect(answer.every((item) => item.create!.status === 201 && item.create!._index === 'many')).toBe(true);
    expect(new Set(answer.map((item) => item.create!._id)).size).toBe(1_200);
    expect(texts(lines.get('many'))).toEqual(Array.from({ length: 1_200 }, (_, k) => `line ${k}`));
  });

  it('names the line of an action that is not one, and of an action left without its document', async () => {
    await expect(readBulk(Buffer.from('{"create":{}}\n{"message":"a"}\n\n["not", "an action"]\n'), 'x')).rejects.toThrow(/^line 4: expected an action/);
    await expect(readBulk(Buffer.from('{"create":{}}\n{"message":"a"}\n{"index":{}}\n\n'), 'x')).rejects.toThrow('the index action of line 3 has no document line after it');
  });
});

describe('readBulk sources', () => {
  it('refuses each document whose source is not a source name, however often it repeats, and takes the others', async () => {
    const bad = JSON.stringify('bad\u0001name');
    const body = [
      '{"create":{}}', '{"message":"a","source":"ok"}',
      '{"create":{}}', `{"message":"b","source":${bad}}`,
      '{"create":{}}', `{"message":"c","source":${bad}}`,
      '{"create":{}}', '{"message":"d","source":"ok"}',
      '{"create":{}}', '{"message":"e"}',
    ].join('\n');
    const { items, errors, lines } = await readBulk(Buffer.from(body), 'from-url');
    const answer = JSON.parse(`[${items.toString()}]`) as Item[];
    expect(errors).toBe(true);
    expect(answer.map((item) => [item.create!.status, item.create!.error?.type ?? null])).toEqual([
      [201, null], [400, 'invalid_index_name_exception'], [400, 'invalid_index_name_exception'], [201, null], [201, null],
    ]);
    expect(bySource(lines)).toEqual({ ok: ['a', 'd'], 'from-url': ['e'] });
  });
});

describe('readBulk documents', () => {
  it('takes the same lines whether a document is read from its bytes or by JSON.parse', async () => {
    const docs = [
      Buffer.from('{"message":"GET \\"/a\\" 200","source":"web"}'),
      Buffer.from('{"message":"emoji \\ud83d\\ude00 and a lone \\udc00","source":"web"}'),
      Buffer.from('{"mess\\u0061ge":"escaped key","source":"w\\u0065b"}'),
      Buffer.concat([Buffer.from('{"message":"not UTF-8: '), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('","source":"web"}')]),
      Buffer.from('{"message":"two\\r\\nlines\\u000d","source":"other"}'),
      Buffer.from('{"message":"caf\u00e9","source":"web"}'),
    ];
    const body = Buffer.concat(docs.flatMap((d) => [Buffer.from('{"create":{}}\n'), d, Buffer.from('\n')]));
    const { errors, lines } = await readBulk(body, 'x');
    expect(errors).toBe(false);
    // What JSON.parse makes of each document, its lines split and their trailing CR dropped.
    const expected = new Map<string, string[]>();
    for (const d of docs) {
      const { message, source } = JSON.parse(d.toString('utf8')) as { message: string; source: string };
      const list = expected.get(source) ?? [];
      for (const l of message.split('\n')) list.push(l.endsWith('\r') ? l.slice(0, -1) : l);
      expected.set(source, list);
    }
    expect([...lines.keys()]).toEqual([...expected.keys()]);
    for (const [source, l] of lines) {
      expect(l.data.equals(Buffer.from(`${expected.get(source)!.join('\n')}\n`)), source).toBe(true);
      expect(l.lines).toBe(expected.get(source)!.length);
    }
  });
});

describe('readBulk with filter_path', () => {
  const body = Buffer.from([
    '{"create":{"_index":"web"}}', '{"message":"a"}',
    '{"index":{"_index":"web","_id":"k1"}}', '{"message":"b"}',
    '{"create":{"_index":"web"}}', '{"no_message":1}',
    '{"delete":{"_index":"web","_id":"k2"}}',
    '',
  ].join('\n'));
  const answer = async (filter: string | undefined): Promise<unknown> => {
    const read = await readBulk(body, undefined, FilterPath.parse(filter));
    // Ids generated for documents without one differ per request: read as one name.
    return JSON.parse(bulkAnswer(7, read).toString(), (k, v: unknown) => (k === '_id' && v !== 'k1' && v !== 'k2' ? 'generated' : v)) as unknown;
  };

  it('answers what it keeps of the whole answer, item by item, as the whole answer filtered would be', async () => {
    const whole = await answer(undefined);
    expect(whole).toMatchObject({ took: 7, errors: true });
    for (const filter of ['errors,items.*.error,items.*.status', 'items.*._id', 'took,items.index', '-items.*._shards,-took', 'items.**.total', '**.type']) {
      expect(await answer(filter), filter).toEqual(FilterPath.parse(filter)!.keep(whole) ?? {});
    }
    expect(await answer('errors,items.*.error,items.*.status')).toEqual({
      errors: true,
      items: [
        { create: { status: 201 } }, { index: { status: 201 } },
        { create: { status: 400, error: { type: 'document_parsing_exception', reason: expect.any(String) as string } } },
        { delete: { status: 400, error: { type: 'illegal_argument_exception', reason: expect.any(String) as string } } },
      ],
    });
  });

  it('leaves out the items when it keeps none, and answers {} when it keeps nothing', async () => {
    expect(await answer('errors')).toEqual({ errors: true });
    expect(await answer('took')).toEqual({ took: 7 });
    expect(await answer('nothing')).toEqual({});
    expect(await answer('items.*._version')).toEqual({ items: [{ create: { _version: 1 } }, { index: { _version: 1 } }] });
  });

  it('takes the same lines whatever it answers', async () => {
    const lines = (await readBulk(body, undefined, FilterPath.parse('errors'))).lines;
    expect(bySource(lines)).toEqual({ web: ['a', 'b'] });
  });
});

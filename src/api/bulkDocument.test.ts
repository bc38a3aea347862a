import { describe, expect, it } from 'vitest';
import { prng } from '../../bench/generate.js';
import { MessageLines } from '../live/journalLines.js';
import { ABSENT, DocumentScanner, OTHER, STRING, type StringValue } from './bulkDocument.js';

/** What the scanner must agree with: JSON.parse of the document decoded as UTF-8 (the fallback). */
function reference(doc: Buffer): { object: Record<string, unknown> } | null {
  try {
    const v: unknown = JSON.parse(doc.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? { object: v as Record<string, unknown> } : null;
  } catch {
    return null;
  }
}

/** A message's journal lines as the fallback writes them. */
function linesOf(message: string): Buffer {
  const out = new MessageLines(16);
  out.addString(message);
  return out.finish().data;
}

const kindOf = (v: unknown): number => (v === undefined ? ABSENT : typeof v === 'string' ? STRING : OTHER);

/**
 * Scans `doc`; when the scanner reads it (rather than leaving it to JSON.parse), checks that it read
 * what JSON.parse reads: an object, the same kind of `message` and `source`, the same source string,
 * and the same journal lines. Returns whether the scanner read it.
 */
function agrees(doc: Buffer): boolean {
  const scanner = new DocumentScanner();
  // The document inside a larger body, followed by its newline, as _bulk sees it.
  const body = Buffer.concat([Buffer.from('{"create":{}}\n'), doc, Buffer.from('\n{"message":"next"}\n')]);
  const start = 14;
  if (!scanner.scan(body, start, start + doc.length)) return false;
  const ref = reference(doc);
  const where = `document ${JSON.stringify(doc.toString('latin1'))}`;
  expect(ref, where).not.toBeNull();
  const { message, source } = ref!.object;
  expect(scanner.message.kind, where).toBe(kindOf(message));
  expect(scanner.source.kind, where).toBe(kindOf(source));
  const text = (v: StringValue): string => JSON.parse(body.toString('utf8', v.start - 1, v.end + 1)) as string;
  if (scanner.source.kind === STRING) expect(text(scanner.source), where).toBe(source);
  if (scanner.message.kind === STRING) {
    expect(text(scanner.message), where).toBe(message);
    const out = new MessageLines(16);
    const m = scanner.message;
    if (out.addJsonString(body, m.start, m.end, m.escaped)) expect(out.finish().data.toString('latin1'), where).toBe(linesOf(message as string).toString('latin1'));
    else expect(out.finish().lines, where).toBe(0);
  }
  return true;
}

const doc = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('DocumentScanner', () => {
  it('reads the documents shippers send, and agrees with JSON.parse on them', () => {
    const typical = [
      '{"message":"127.0.0.1 - - [06/Dec/2026:10:00:00 +0000] \\"GET / HTTP/1.1\\" 200 612 \\"-\\" \\"curl/8.0\\"","@timestamp":"2026-12-06T10:00:00.000Z"}',
      '{"@timestamp":"2026-12-06T10:00:00.000Z","agent":{"name":"web-1","type":"filebeat","version":"8.17.0"},"host":{"ip":["10.0.0.5","fe80::1"],"os":{"family":"debian"}},"log":{"offset":1234,"file":{"path":"/var/log/nginx/access.log"}},"message":"a line"}',
      '{ "message" : "spaced" , "source" : "web-1" }\r',
      '{"message":"","source":""}',
      '{"message":"caf\u00e9 \u2603","n":-0.5e-3,"t":true,"f":false,"z":null,"a":[],"o":{}}',
      '{"message":"tab\\tquote\\"slash\\/back\\\\\\b\\f","source":"web\\u002d2"}',
      '{"message":"crlf\\r\\nnext\\nlast\\r","x":1}',
      '{"message":"\\u0041\\u00e9\\u20ac\\u000a\\u000d\\u000abreak"}',
      '{"message":"first","message":"second","source":"a","source":"b"}',
    ];
    for (const d of typical) expect(agrees(doc(d)), d).toBe(true);
  });

  it('tells a message that is not a string, and one that is missing, from a string', () => {
    const cases: [string, number][] = [
      ['{}', ABSENT], ['{"message":1}', OTHER], ['{"message":null}', OTHER], ['{"message":["a"]}', OTHER],
      ['{"message":"a","message":{"b":1}}', OTHER], ['{"message":null,"message":"a"}', STRING], ['{"a":{"message":"x"}}', ABSENT],
    ];
    const scanner = new DocumentScanner();
    for (const [d, kind] of cases) {
      expect(agrees(doc(d)), d).toBe(true);
      scanner.scan(doc(d), 0, doc(d).length);
      expect(scanner.message.kind, d).toBe(kind);
    }
  });

  it('leaves to JSON.parse what it does not read: every invalid document among them', () => {
    const leftOut = [
      '', ' ', '[]', '"message"', '1', 'null', '{', '}', '{"message":"a"', '{"message":"a"}}', '{"message":"a"} x', '{"message":"a",}',
      '{"message" "a"}', '{"message":"a" "b":1}', '{message:"a"}', "{'message':'a'}", '{"a":[1,]}', '{"a":[1 2]}', '{"a":01}', '{"a":1.}',
      '{"a":.5}', '{"a":-}', '{"a":1e}', '{"a":+1}', '{"a":tru}', '{"a":truex}', '{"a":nul}', '{"a":NaN}', '{"a":Infinity}',
      '{"message":"\\x41"}', '{"message":"\\\'"}', '{"message":"\\u12"}', '{"message":"\\u12g4"}', '{"message":"raw\ttab"}',
      '{"message":"raw\u0001"}', '\ufeff{"message":"a"}', '{"message":"a"}\u00a0', '\u000b{"message":"a"}', '{"message":"a"}\f',
      // Read correctly only by JSON.parse: an escaped key, and surrogates.
      '{"mess\\u0061ge":"a"}', '{"message":"\\ud83d\\ude00"}', '{"message":"lone \\ud800"}', '{"source":"\\udc00x","message":"a"}',
    ];
    for (const d of leftOut) {
      const b = doc(d);
      const scanner = new DocumentScanner();
      const read = scanner.scan(Buffer.concat([b, Buffer.from('\n')]), 0, b.length);
      // The two surrogate messages are scanned (JSON-valid), and the line writer hands them back.
      if (read) expect(agrees(b), d).toBe(true);
      else expect(reference(b) === null || /\\u|\\ud/.test(d), d).toBe(true);
    }
  });

  it('keeps well-formed UTF-8 as it came, and leaves bytes that are not UTF-8 in a message or source to JSON.parse', () => {
    expect(agrees(doc('{"message":"ünïcödé 😀 日本"}'))).toBe(true);
    const bad = [0xc3, 0x28, 0xff, 0xed, 0xa0, 0x80, 0xe2, 0x82];
    const withBad = (key: string): Buffer => Buffer.concat([Buffer.from(`{"${key}":"a`), Buffer.from(bad), Buffer.from(key === 'message' ? 'b"}' : 'b","message":"m"}')]);
    expect(agrees(withBad('message'))).toBe(false);
    expect(agrees(withBad('source'))).toBe(false);
    // Elsewhere in the document such bytes change nothing the reader wants: it reads on.
    expect(agrees(withBad('other'))).toBe(true);
  });

  it('leaves nesting deeper than 64 to JSON.parse, and reads what is shallower', () => {
    const nested = (n: number): Buffer => doc(`{"message":"m","a":${'['.repeat(n)}${']'.repeat(n)}}`);
    expect(agrees(nested(62))).toBe(true);
    expect(agrees(nested(200))).toBe(false);
  });

  it('agrees with JSON.parse on 30,000 random documents and their corruptions', () => {
    // Seeded, so that a failure is the same on every run.
    const rand = prng(20261207);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const pieces = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\r', '\t', '\b', '\f', '\u0000', '\u001f', '\u007f', 'é', '€', '😀', '\ud800', '\udfff', 'message', '{', '}', '[', ']', ':', ','];
    const str = (): string => Array.from({ length: Math.floor(rand() * 8) }, () => pick(pieces)).join('');
    const ws = (): string => pick(['', '', '', ' ', '\t', '\r', '  \r\t']);
    const value = (depth: number): string => {
      const r = rand();
      if (r < 0.35 || depth > 3) return JSON.stringify(str());
      if (r < 0.5) return pick(['0', '-0', '12', '-3.25', '1e9', '2E-3', '6.02e+23', 'true', 'false', 'null']);
      if (r < 0.7) return `[${ws()}${Array.from({ length: Math.floor(rand() * 3) }, () => value(depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
      return object(depth + 1);
    };
    const object = (depth: number): string => {
      const n = Math.floor(rand() * 4);
      const members = Array.from({ length: n }, () => `${ws()}${JSON.stringify(pick(['message', 'source', 'message', 'host', str()]))}${ws()}:${ws()}${value(depth)}${ws()}`);
      return `{${members.join(',')}${ws()}}`;
    };
    let read = 0;
    for (let k = 0; k < 30_000; k++) {
      let text = `${ws()}${object(0)}${ws()}`;
      // Some with an escape written by hand, as other encoders do (\u escapes of ASCII, of a slash).
      if (rand() < 0.2) text = text.replace(/a/g, '\\u0061').replace(/\//g, '\\/');
      let b = doc(text);
      // A third of them corrupted: a byte dropped, changed or added.
      if (rand() < 0.33 && b.length > 0) {
        const at = Math.floor(rand() * b.length);
        const byte = pick([0x22, 0x5c, 0x7b, 0x7d, 0x2c, 0x3a, 0x20, 0x01, 0x75, 0x30, 0xff, 0xc3]);
        const op = rand();
        b = op < 0.33 ? Buffer.concat([b.subarray(0, at), b.subarray(at + 1)])
          : op < 0.66 ? Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at + 1)])
            : Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
      }
      // A newline would end the document: _bulk never hands one inside it.
      b = Buffer.from(b.toString('latin1').replace(/\n/g, ' '), 'latin1');
      if (agrees(b)) read++;
      else if (reference(b) !== null) expect(b.toString('latin1'), 'a valid document is left to JSON.parse only for an escape (in a key, of a surrogate) or bytes past ASCII').toMatch(/\\|[\x80-\xff]/);
    }
    // Most of them are read by the scanner, not left to JSON.parse.
    expect(read).toBeGreaterThan(10_000);
  });
});

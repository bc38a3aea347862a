import { describe, expect, it } from 'vitest';
import { LineFramer, type FramedLine } from './framing.js';

function frame(chunks: (string | Buffer | number[])[], opts: Partial<{ startOffset: number; startLineNo: number; maxLineBytes: number }> = {}): FramedLine[] {
  const framer = new LineFramer({ startOffset: 0, startLineNo: 1, maxLineBytes: 1024, ...opts });
  const out: FramedLine[] = [];
  for (const c of chunks) out.push(...framer.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c)));
  out.push(...framer.end());
  return out;
}

/** Every split of `data` into chunks of `size` bytes. */
function chunked(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

describe('LineFramer', () => {
  it('splits on LF, strips one CR, and reports exact offsets and line numbers', () => {
    expect(frame(['GET /a\r\nGET /b\nlast'])).toEqual([
      { text: 'GET /a', lineNo: 1, byteStart: 0, byteEnd: 8, tooLong: false },
      { text: 'GET /b', lineNo: 2, byteStart: 8, byteEnd: 15, tooLong: false },
      { text: 'last', lineNo: 3, byteStart: 15, byteEnd: 19, tooLong: false },
    ]);
  });

  it('keeps empty lines (the caller counts them) and strips only one CR', () => {
    expect(frame(['\n\r\nx\r\r\n']).map((l) => l.text)).toEqual(['', '', 'x\r']);
  });

  it('emits nothing at end() when the data ends with a newline', () => {
    const framer = new LineFramer({ startOffset: 0, startLineNo: 1, maxLineBytes: 100 });
    expect(framer.push(Buffer.from('a\n'))).toHaveLength(1);
    expect(framer.end()).toEqual([]);
  });

  it('continues from a checkpoint offset and line number', () => {
    expect(frame(['x\ny'], { startOffset: 1000, startLineNo: 42 })).toEqual([
      { text: 'x', lineNo: 42, byteStart: 1000, byteEnd: 1002, tooLong: false },
      { text: 'y', lineNo: 43, byteStart: 1002, byteEnd: 1003, tooLong: false },
    ]);
  });

  it('joins a CRLF split across chunks', () => {
    const lines = frame(['a\r', '\nb\r', '\n']);
    expect(lines.map((l) => [l.text, l.byteStart, l.byteEnd])).toEqual([
      ['a', 0, 3],
      ['b', 3, 6],
    ]);
  });

  it('decodes a multi-byte character split across chunks', () => {
    const data = Buffer.from('ua="Яндекс"\n€ ok\n');
    for (let size = 1; size <= data.length; size++) {
      expect(frame(chunked(data, size)).map((l) => l.text)).toEqual(['ua="Яндекс"', '€ ok']);
    }
  });

  it('writes invalid UTF-8 and NUL bytes as \\xNN, like nginx', () => {
    const lines = frame([[0x61, 0xff, 0x62, 0x0a, 0x61, 0x00, 0x62, 0x0a, 0xc0, 0x80, 0x0a, 0xe2, 0x82, 0x0a, 0xed, 0xa0, 0x80, 0x0a]]);
    expect(lines.map((l) => l.text)).toEqual(['a\\xFFb', 'a\\x00b', '\\xC0\\x80', '\\xE2\\x82', '\\xED\\xA0\\x80']);
  });

  it('keeps valid UTF-8 next to invalid bytes', () => {
    expect(frame([Buffer.concat([Buffer.from('é'), Buffer.from([0xfe]), Buffer.from('🙂\n')])])[0]!.text).toBe('é\\xFE🙂');
  });

  it('cuts an over-long line to maxLineBytes, skips the rest, and carries on with the right offsets', () => {
    const data = Buffer.from(`short\n${'x'.repeat(100)}\nnext\n`);
    for (const size of [3, 7, 50, data.length]) {
      expect(frame(chunked(data, size), { maxLineBytes: 10 })).toEqual([
        { text: 'short', lineNo: 1, byteStart: 0, byteEnd: 6, tooLong: false },
        { text: 'x'.repeat(10), lineNo: 2, byteStart: 6, byteEnd: 107, tooLong: true },
        { text: 'next', lineNo: 3, byteStart: 107, byteEnd: 112, tooLong: false },
      ]);
    }
  });

  it('flags an over-long final line without a newline', () => {
    expect(frame(['abc\n', 'x'.repeat(30)], { maxLineBytes: 8 })).toEqual([
      { text: 'abc', lineNo: 1, byteStart: 0, byteEnd: 4, tooLong: false },
      { text: 'xxxxxxxx', lineNo: 2, byteStart: 4, byteEnd: 34, tooLong: true },
    ]);
  });

  it('does not count the CR of a CRLF towards the limit', () => {
    expect(frame(['12345678\r', '\n'], { maxLineBytes: 8 })[0]).toMatchObject({ text: '12345678', tooLong: false });
    expect(frame(['123456789\r\n'], { maxLineBytes: 8 })[0]).toMatchObject({ text: '12345678', tooLong: true });
  });

  it('cuts an over-long line at a character boundary', () => {
    const data = Buffer.from('aé€x\n'); // 61 | C3 A9 | E2 82 AC | 78
    for (const size of [1, 2, 3, data.length]) {
      expect(frame(chunked(data, size), { maxLineBytes: 4 })[0]).toMatchObject({ text: 'aé', tooLong: true, byteEnd: 8 });
    }
  });

  it('keeps memory bounded by maxLineBytes while skipping a huge line', () => {
    const framer = new LineFramer({ startOffset: 0, startLineNo: 1, maxLineBytes: 1000 });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 0; i < 32; i++) expect(framer.push(chunk)).toEqual([]);
    const state = framer as unknown as { partsBytes: number; overflowHead: Buffer | null };
    expect(state.partsBytes).toBe(0);
    expect(state.overflowHead?.length).toBe(1001);
    const [line] = framer.push(Buffer.from('\nok\n'));
    expect(line).toMatchObject({ lineNo: 1, byteStart: 0, byteEnd: 32 * 65536 + 1, tooLong: true });
    expect(line!.text).toHaveLength(1000);
  });

  it('gives the same lines whatever the chunking (fast ASCII path and byte path agree)', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = [0x61, 0x20, 0x0a, 0x0d, 0xc3, 0xa9, 0xff, 0x00, 0xe2, 0x82, 0xac, 0x22];
    for (let round = 0; round < 30; round++) {
      const data = Buffer.from(Array.from({ length: 300 }, () => alphabet[rand(alphabet.length)]!));
      const whole = frame([data], { maxLineBytes: 16 });
      for (const size of [1, 5, 17, 64]) expect(frame(chunked(data, size), { maxLineBytes: 16 })).toEqual(whole);
    }
  });

  it('rejects a non-positive line limit', () => {
    expect(() => new LineFramer({ startOffset: 0, startLineNo: 1, maxLineBytes: 0 })).toThrow(RangeError);
  });
});

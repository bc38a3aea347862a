import { describe, expect, it } from 'vitest';
import { fileLines, journalLines, MessageLines } from './journalLines.js';

describe('MessageLines', () => {
  it('writes each line of a message once, its trailing CR dropped, and counts them', () => {
    const out = new MessageLines(4);
    for (const m of ['one', 'two\r', 'three\r\nfour\n', '', '\r', 'x'.repeat(1_000)]) out.addString(m);
    const { data, lines } = out.finish();
    expect(data.toString()).toBe(`one\ntwo\nthree\nfour\n\n\n\n${'x'.repeat(1_000)}\n`);
    expect(lines).toBe(8);
  });
});

describe('fileLines', () => {
  it("takes a batch of whole lines as it came, with no copy, and counts its lines", () => {
    const batch = Buffer.from('GET /a\r\n\nGET /b \xff\n', 'latin1');
    const lines = fileLines(batch);
    expect(lines.data).toBe(batch);
    expect(lines.lines).toBe(3);
  });

  it('ends a last line that has no newline, and takes an empty batch as no lines', () => {
    expect(fileLines(Buffer.from('a\nb'))).toEqual({ data: Buffer.from('a\nb\n'), lines: 2 });
    expect(fileLines(Buffer.from('x'))).toEqual({ data: Buffer.from('x\n'), lines: 1 });
    expect(fileLines(Buffer.alloc(0))).toEqual({ data: Buffer.alloc(0), lines: 0 });
  });
});

describe('journalLines', () => {
  it("writes each syslog message and a newline, counting a message's own newlines as lines", () => {
    expect(journalLines([Buffer.from('a'), Buffer.from('b\nc'), Buffer.from('')])).toEqual({ data: Buffer.from('a\nb\nc\n\n'), lines: 4 });
  });
});

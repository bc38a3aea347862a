import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEAD_LINES, sampleLines, WINDOW_LINES, WINDOWS, type FileSample } from './sampleLines.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-sample-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let files = 0;
function sampleOf(text: string | Buffer, maxLineBytes = 65536): FileSample {
  const file = path.join(dir, `f${files++}.log`);
  fs.writeFileSync(file, text);
  const fd = fs.openSync(file, 'r');
  try {
    return sampleLines(fd, maxLineBytes);
  } finally {
    fs.closeSync(fd);
  }
}

const numbered = (from: number, to: number, mark = 'line'): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${mark} ${from + i}`);

describe('sampleLines', () => {
  it('a small file: every non-empty line, in the head, the last one without its newline too', () => {
    expect(sampleOf('a\n\n  \nb\nc')).toEqual({ head: ['a', 'b', 'c'], spread: [] });
    expect(sampleOf('')).toEqual({ head: [], spread: [] });
  });

  it('CRLF lines lose their \\r, as the framer strips it', () => {
    const s = sampleOf(`${numbered(1, 400).join('\r\n')}\r\n`);
    expect(s.head).toEqual(numbered(1, HEAD_LINES));
    for (const line of [...s.head, ...s.spread]) expect(line).toMatch(/^line \d+$/);
  });

  it('a file smaller than a window: the windows go on after the head, no line taken twice', () => {
    const s = sampleOf(`${numbered(1, 300).join('\n')}\n`);
    expect(s.head).toEqual(numbered(1, HEAD_LINES));
    // The windows' offsets fall inside the head: each starts where the one before stopped.
    expect(s.spread).toEqual(numbered(HEAD_LINES + 1, 300));
  });

  it('a file whose second half has another layout: the windows sample it, whole lines only', () => {
    const lines = [...numbered(1, 10_000, 'first'), ...numbered(10_001, 20_000, 'second')];
    const s = sampleOf(`${lines.join('\n')}\n`);
    expect(s.head).toEqual(numbered(1, HEAD_LINES, 'first'));
    expect(s.spread).toHaveLength(WINDOWS * WINDOW_LINES);
    const set = new Set(lines);
    for (const line of s.spread) expect(set.has(line)).toBe(true);
    expect(new Set(s.spread).size).toBe(s.spread.length);
    expect(s.spread.filter((l) => l.startsWith('second')).length).toBeGreaterThanOrEqual(3 * WINDOW_LINES);
    // Spread through the file, in file order: the last window at 8/9 of it.
    const nos = s.spread.map((l) => Number(l.split(' ')[1]));
    expect(nos).toEqual([...nos].sort((a, b) => a - b));
    expect(nos[nos.length - 1]).toBeGreaterThan(17_500);
  });

  it('is the same on every attempt', () => {
    const text = `${numbered(1, 5000).join('\n')}\n`;
    expect(sampleOf(text)).toEqual(sampleOf(text));
  });

  it('leaves out lines longer than the framer takes, in the head and in the windows', () => {
    const long = 'x'.repeat(300);
    const lines = Array.from({ length: 4000 }, (_, i) => (i % 2 === 0 ? long : `line ${i + 1}`));
    const s = sampleOf(`${lines.join('\n')}\n`, 256);
    expect(s.head).toEqual(lines.filter((l) => l !== long).slice(0, HEAD_LINES));
    expect(s.spread.length).toBeGreaterThan(0);
    expect(s.spread.every((l) => l.startsWith('line '))).toBe(true);
  });

  it('invalid UTF-8 reads as the framer decodes it', () => {
    const s = sampleOf(Buffer.concat([Buffer.from('ok\n'), Buffer.from([0x61, 0xff, 0x62, 0x0a])]));
    expect(s.head).toEqual(['ok', 'a\\xFFb']);
  });
});

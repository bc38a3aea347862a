import { describe, expect, it } from 'vitest';
import { readSample, sampleFromPieces } from './sample.js';

describe('sampleFromPieces', () => {
  it('keeps whole lines only: the head numbered (empty lines kept), the middle and end without partial or empty lines', () => {
    const s = sampleFromPieces([
      { text: 'a1\r\n\na3\npart', fromStart: true, toEnd: false, maxLines: 10 },
      { text: 'tial\nm1\n\nm2\ncut', fromStart: false, toEnd: false, maxLines: 10 },
      { text: 'ial\ne1\ne2\n', fromStart: false, toEnd: true, maxLines: 10 },
    ], 100);
    expect(s.lines).toEqual(['a1', '', 'a3', 'm1', 'm2', 'e1', 'e2']);
    expect(s.lineNos).toEqual([1, 2, 3, null, null, null, null]);
    expect(s.tooLong).toBe(0);
  });

  it('leaves out lines longer than the server reads, counting bytes, and stops at each piece\'s line budget', () => {
    const s = sampleFromPieces([{ text: `ok\n${'é'.repeat(6)}\n${'e'.repeat(12)}\nx\ny\nz`, fromStart: true, toEnd: true, maxLines: 3 }], 11);
    expect(s.lines).toEqual(['ok', 'x', 'y']);
    expect(s.lineNos).toEqual([1, 4, 5]);
    expect(s.tooLong).toBe(2);
  });
});

describe('readSample', () => {
  it('does not sample a gzip file', async () => {
    const gz = new File([new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0])], 'a.log.gz');
    expect(await readSample(gz, 1024)).toEqual({ gzip: true, whole: false, lines: [], lineNos: [], tooLong: 0 });
  });

  it('reads the head, middle and end of a big file', async () => {
    const lines = Array.from({ length: 4000 }, (_, i) => `line ${String(i + 1).padStart(5, '0')} ${'x'.repeat(40)}`);
    const s = await readSample(new File([lines.join('\n') + '\n'], 'big.log'), 1024);
    expect(s.whole).toBe(false);
    expect(s.lines[0]).toBe(lines[0]);
    expect(s.lineNos.slice(0, 3)).toEqual([1, 2, 3]);
    const numbers = s.lines.map((l) => Number(l.slice(5, 10)));
    expect(numbers.some((n) => n > 1800 && n < 2200)).toBe(true);
    expect(numbers[numbers.length - 1]).toBe(4000);
    expect(s.lines.every((l) => lines.includes(l))).toBe(true);
    expect(s.lines.length).toBeLessThanOrEqual(1000);
  });
});

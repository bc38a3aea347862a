import { describe, expect, it } from 'vitest';
import { prng } from '../../bench/generate.js';
import { bloomHolds, SearchBlockBuilder, substringBits } from './trigramBloom.js';

/** What ILIKE '%q%' answers, with lower() a character at a time as PostgreSQL takes it (C.UTF-8). */
const ilike = (text: string, q: string): boolean => lowerByChar(text).includes(lowerByChar(q));
function lowerByChar(s: string): string {
  let out = '';
  for (const ch of s) {
    const l = ch.toLowerCase();
    // One character to one (İ's full mapping adds a combining dot; PostgreSQL's towlower gives i).
    out += [...l].length === 1 ? l : ch === '\u0130' ? 'i' : ch;
  }
  return out;
}

/** A record's raw text as the filter reads it: its UTF-8 bytes. */
function addText(b: SearchBlockBuilder, text: string, lineNo: number, timestampMs: number): void {
  const bytes = Buffer.from(text, 'utf8');
  b.add(bytes, 0, bytes.length, bytes.length === text.length, lineNo, timestampMs);
}

describe('trigram Bloom filters of record blocks', () => {
  const ALPHABET = 'abcXYZ01-/ ."\u00e9\u00c9\u0130\u212a\u{1F600}kKiI';
  const rnd = prng(5);
  const randomText = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += [...ALPHABET][Math.floor(rnd() * [...ALPHABET].length)];
    return s;
  };

  it('never misses a block that holds the substring, whatever its case or its non-ASCII neighbours', () => {
    const b = new SearchBlockBuilder();
    const lines = Array.from({ length: 3_000 }, () => randomText(10 + Math.floor(rnd() * 200)));
    lines.forEach((l, i) => addText(b, l, i + 1, 1_000 + i));
    const blocks = b.take()!;
    expect(blocks.count).toBeGreaterThan(1);
    for (let trial = 0; trial < 2_000; trial++) {
      // A piece of a line, its case changed at random: ILIKE matches it there.
      const i = Math.floor(rnd() * lines.length);
      const chars = [...lines[i]!];
      const from = Math.floor(rnd() * chars.length);
      const piece = chars.slice(from, from + 3 + Math.floor(rnd() * 8)).map((c) => (rnd() < 0.5 ? c.toUpperCase() : c)).join('');
      if (!ilike(lines[i]!, piece)) continue;
      const bits = substringBits(piece);
      if (bits === null) continue;
      const block = blocks.firstLine.findLastIndex((first) => first <= i + 1);
      expect([piece, bloomHolds(blocks.blooms, block, bits)]).toEqual([piece, true]);
    }
  });

  it('finds İ and the Kelvin sign by the ASCII letters they lower to, as ILIKE does', () => {
    const b = new SearchBlockBuilder();
    addText(b, 'GET /\u0130NDEX \u212aEY', 1, 1);
    const blocks = b.take()!;
    for (const q of ['/index', 'key', 'INDEX K']) expect([q, bloomHolds(blocks.blooms, 0, substringBits(q)!)]).toEqual([q, true]);
  });

  it('reads only the bytes it is given', () => {
    const b = new SearchBlockBuilder();
    // The record ends in İ's first byte; its second, beyond the end, belongs to the next field.
    b.add(Buffer.from([0x61, 0x62, 0xc4, 0xb0, 0x78]), 0, 3, false, 1, 1);
    const blocks = b.take()!;
    expect(bloomHolds(blocks.blooms, 0, substringBits('abi')!)).toBe(false);
    expect([...blocks.blooms].every((byte) => byte === 0)).toBe(true);
  });

  it("forgets a block's trigrams when the next begins, however many it had", () => {
    const b = new SearchBlockBuilder();
    // A line of more distinct trigrams than the seen set lists (it is then cleared whole), then short lines.
    let long = '';
    for (let i = 0; i < 30_000; i++) long += String.fromCharCode(33 + Math.floor(rnd() * 94));
    addText(b, long, 1, 1);
    const pieces = Array.from({ length: 40 }, (_, i) => long.slice(i * 700, i * 700 + 12));
    pieces.forEach((piece, i) => addText(b, `line ${i} repeats ${piece}`, i + 2, i + 2));
    const blocks = b.take()!;
    expect(blocks.count).toBe(2);
    expect(blocks.firstLine[1]).toBe(2);
    for (const piece of pieces) expect([piece, bloomHolds(blocks.blooms, 1, substringBits(piece)!)]).toEqual([piece, true]);
  });

  it('rules most blocks out for a substring none holds, and has no bits for a substring without an ASCII trigram', () => {
    const b = new SearchBlockBuilder();
    for (let i = 1; i <= 20_000; i++) addText(b, `10.0.${i % 250}.${i % 7} - - [07/Dec/2026:07:00:00 +0000] "GET /api/items/${i * 7919 % 100_000} HTTP/1.1" 200 ${i % 5000}`, i, i);
    const blocks = b.take()!;
    const bits = substringBits('no-such-substring-7z')!;
    const maybe = Array.from({ length: blocks.count }, (_, k) => bloomHolds(blocks.blooms, k, bits)).filter(Boolean).length;
    expect(maybe).toBe(0);
    // Each block's lines and times: contiguous, in order, widened by a millisecond each way.
    expect(blocks.firstLine[0]).toBe(1);
    expect(blocks.lastLine[blocks.count - 1]).toBe(20_000);
    for (let k = 1; k < blocks.count; k++) expect(blocks.firstLine[k]).toBe(blocks.lastLine[k - 1]! + 1);
    expect(blocks.minMs[0]).toBe(0);
    expect(substringBits('ab')).toBeNull();
    expect(substringBits('\u00e9\u00e9\u00e9\u00e9')).toBeNull();
    expect(b.take()).toBeNull();
  });
});

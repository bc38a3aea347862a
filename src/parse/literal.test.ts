import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Literal, RunMatches } from './literal.js';
import { literalEndingAt, matchLiteral } from './scan.js';

/** Lines and literals over a few characters, so that near-matches, overlaps and space runs are common. */
const textArb = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom('a', 'b', ' ', '"'), maxLength });
const caseArb = fc.record({ line: textArb(60), lit: textArb(6), from: fc.nat(60), cut: fc.nat(60) });

/** Each search, as defined by the quadratic code it replaces. */
const naive = {
  find(line: string, from: number, end: number, lit: string, skip: (at: number) => boolean = () => false): number {
    for (let i = from; i < end; i++) if (line.startsWith(lit, i) && !skip(i)) return i;
    return -1;
  },
  /** Every start of a symbol (a run of spaces counts at its first space) where matchLiteral matches, with its end. */
  runMatches(line: string, from: number, end: number, lit: string): [number, number][] {
    const out: [number, number][] = [];
    for (let i = from; i < end; i++) {
      if (i > from && line[i] === ' ' && line[i - 1] === ' ') continue;
      const after = matchLiteral(line, i, end, lit);
      if (after >= 0) out.push([i, after]);
    }
    return out;
  },
};

// Each property for both strategies: candidate by candidate (short literals) and KMP (forced with shortMax 0).
describe.each([['as compiled', undefined], ['KMP throughout', 0]] as const)('Literal (%s): linear-time search for a layout literal', (_name, shortMax) => {
  it('find and findWhere give the first (not skipped) exact occurrence starting before `end`', () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), ({ line, lit, from, cut }, mask) => {
        const end = Math.min(cut, line.length);
        const l = new Literal(lit, shortMax);
        expect(l.find(line, from, end)).toBe(naive.find(line, from, end, lit));
        const skip = (at: number): boolean => ((mask >>> (at % 31)) & 1) === 1;
        expect(l.findWhere(line, from, end, skip)).toBe(naive.find(line, from, end, lit, skip));
      }),
      { numRuns: 3000 },
    );
  });

  it('RunMatches gives every match with space runs, in order, with its end', () => {
    fc.assert(
      fc.property(caseArb, ({ line, lit, from, cut }) => {
        const end = Math.min(cut, line.length);
        const matches = new RunMatches(new Literal(lit, shortMax));
        matches.reset(line, from, end);
        const got: [number, number][] = [];
        for (let c = matches.next(); c !== -1; c = matches.next()) got.push([c, matches.after]);
        expect(got).toEqual(lit === '' ? [] : naive.runMatches(line, from, end, lit));
      }),
      { numRuns: 3000 },
    );
  });

  it('literalEndingAt finds the start from which matchLiteral reaches `end` exactly', () => {
    fc.assert(
      fc.property(caseArb, ({ line, lit, from, cut }) => {
        const end = Math.min(cut, line.length);
        const at = literalEndingAt(line, from, end, lit);
        if (at >= 0) expect(matchLiteral(line, at, end, lit)).toBe(end);
        // Literals that start with a non-space (the only use: a quote) have at most one such start.
        if (lit !== '' && lit[0] !== ' ') {
          const starts = naive.runMatches(line, from, end, lit).filter(([, after]) => after === end).map(([i]) => i);
          expect(at >= 0 ? [at] : []).toEqual(starts);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('reads each character of the line a bounded number of times, however long the literal', () => {
    // The worst case of the old search: the literal's prefix repeated, so every position nearly matches.
    const lit = `${'" '.repeat(4000)}x`;
    const line = '" '.repeat(50_000);
    const matches = new RunMatches(new Literal(lit));
    matches.reset(line, 0, line.length);
    expect(matches.next()).toBe(-1);
    expect(new Literal(lit).find(line, 0, line.length)).toBe(-1);
    expect(new Literal(`${'a'.repeat(7999)}b`).find('a'.repeat(100_000), 0, 100_000)).toBe(-1);
  });
});

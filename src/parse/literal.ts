import { matchLiteral, SPACE } from './scan.js';

/**
 * Literals up to this long are tried at each candidate position, as before: that costs at most their
 * length (and the runs of spaces their spaces match) per position, so it is linear too, and native
 * startsWith / indexOf beat a KMP loop on the short separators of real formats (` `, `" "`, ` [`):
 * several per cent of the parse time of a combined line, measured.
 */
const SHORT_LITERAL = 8;

/**
 * A literal of a layout (the text between two fields), compiled once with the format so that finding
 * it in a line costs time linear in the line, whatever the literal. Trying `line.startsWith(lit, i)`
 * at every candidate position costs the literal's length per candidate: a pasted `log_format` with an
 * 8,000-character literal and a line full of near-matches (its prefix repeated) made that 8,000 × the
 * line (issue 13, #10). Here a Knuth–Morris–Pratt failure table lets every search go forward only:
 * after a mismatch or a match, the longest prefix of the literal that is still matched is known, and no
 * character of the line is read twice.
 *
 * Two ways of matching, as the scanner needs them:
 * - exact (`find`, `findWhere`): where a plain field ends, the first occurrence of the literal;
 * - with space runs (`RunMatches`): as matchLiteral does, a space of the literal matches a run of spaces
 *   in the line (`-  -` in the wild). The line is read as symbols, a run of spaces counting as one; the
 *   same failure table serves, since the literal itself is read as it is (two spaces in a row in a
 *   literal can then never match, as with matchLiteral).
 */
export class Literal {
  readonly length: number;
  /** fail[i]: length of the longest proper prefix of text[0..i] that is also a suffix of it (read by RunMatches too). */
  readonly fail: Int32Array;

  /** Searched candidate by candidate (see SHORT_LITERAL). */
  readonly short: boolean;

  /** `shortMax`: tests set 0 to run the KMP search on short literals too. */
  constructor(readonly text: string, shortMax = SHORT_LITERAL) {
    const m = text.length;
    this.length = m;
    this.short = m > 0 && m <= shortMax;
    this.fail = new Int32Array(Math.max(m, 1));
    for (let i = 1, k = 0; i < m; i++) {
      const c = text.charCodeAt(i);
      while (k > 0 && text.charCodeAt(k) !== c) k = this.fail[k - 1]!;
      if (text.charCodeAt(k) === c) k++;
      this.fail[i] = k;
    }
  }

  /**
   * The first exact occurrence starting in [from, end), or -1. The literal may run past `end` (the
   * scanner's end excludes trailing spaces; the match is then checked with matchLiteral, as before).
   */
  find(line: string, from: number, end: number): number {
    if (!this.short) return this.findWhere(line, from, end, null);
    const text = this.text;
    const c0 = text.charCodeAt(0);
    const single = this.length === 1;
    for (let i = from; i < end; i++) {
      if (line.charCodeAt(i) === c0 && (single || line.startsWith(text, i))) return i;
    }
    return -1;
  }

  /**
   * The first exact occurrence starting in [from, end) for which `skip` is false, or -1. Occurrences
   * that are skipped cost nothing extra: the search goes on from the state it reached.
   */
  findWhere(line: string, from: number, end: number, skip: ((at: number) => boolean) | null): number {
    const text = this.text;
    const m = this.length;
    if (m === 0) {
      for (let i = from; i < end; i++) if (skip === null || !skip(i)) return i;
      return -1;
    }
    const c0 = text.charCodeAt(0);
    if (this.short) {
      for (let i = from; i < end; i++) {
        if (line.charCodeAt(i) === c0 && line.startsWith(text, i) && (skip === null || !skip(i))) return i;
      }
      return -1;
    }
    const limit = Math.min(line.length, end + m - 1);
    const fail = this.fail;
    let j = 0;
    for (let i = from; i < limit; i++) {
      let c = line.charCodeAt(i);
      if (j === 0) {
        // Most of a line is not even the literal's first character: a plain loop, as a short field wants.
        while (c !== c0 && ++i < limit) c = line.charCodeAt(i);
        if (i >= limit) return -1;
      } else {
        while (j > 0 && text.charCodeAt(j) !== c) j = fail[j - 1]!;
      }
      if (text.charCodeAt(j) === c) j++;
      if (j === m) {
        const at = i - m + 1;
        if (skip === null || !skip(at)) return at;
        j = fail[m - 1]!;
      }
    }
    return -1;
  }
}

/**
 * The occurrences of a literal in a line, matched with space runs as matchLiteral does, in order of
 * their start: `next()` gives the start of the next one (or -1), and `after` where it ends (past a
 * final run of spaces). Starts are at symbols, i.e. a run of spaces starts at its first space; the
 * layout scanner uses this for literals that start with a quote. One instance per compiled literal,
 * reused for every line (a parse is synchronous and never re-entered).
 */
export class RunMatches {
  /** The end of the last match that next() returned. */
  after = -1;
  private line = '';
  private from = 0;
  private end = 0;
  private i = 0;
  private j = 0;
  /** Symbols read so far, and where each of the last `length` of them starts in the line. */
  private symbols = 0;
  private readonly starts: Int32Array;

  /** A short literal that starts with a non-space: candidate by candidate (see SHORT_LITERAL). */
  private readonly byCandidate: boolean;

  constructor(private readonly lit: Literal) {
    this.starts = new Int32Array(Math.max(lit.length, 1));
    this.byCandidate = lit.short && lit.text.charCodeAt(0) !== SPACE;
  }

  /** Starts a search of [from, end). */
  reset(line: string, from: number, end: number): void {
    this.line = line;
    this.from = from;
    this.end = end;
    this.i = from;
    this.j = 0;
    this.symbols = 0;
  }

  next(): number {
    if (this.byCandidate) return this.nextCandidate();
    const { line, from, end, lit, starts } = this;
    const { text, fail } = lit;
    const m = lit.length;
    if (m === 0) return -1;
    const c0 = text.charCodeAt(0);
    let { i, j, symbols } = this;
    let found = -1;
    while (i < end) {
      if (j === 0 && c0 !== SPACE && line.charCodeAt(i) !== c0) {
        // Skip to the next possible start (native search); no partial match spans the skipped text.
        i = line.indexOf(text[0]!, i);
        if (i === -1 || i >= end) {
          i = end;
          break;
        }
      }
      const c = line.charCodeAt(i);
      // A space right after a space (within this search) is the same symbol as the one before.
      if (c === SPACE && i > from && line.charCodeAt(i - 1) === SPACE) {
        i++;
        continue;
      }
      starts[symbols % m] = i;
      symbols++;
      while (j > 0 && text.charCodeAt(j) !== c) j = fail[j - 1]!;
      if (text.charCodeAt(j) === c) j++;
      i++;
      if (j === m) {
        found = starts[(symbols - m) % m]!;
        let after = i;
        if (c === SPACE) while (after < end && line.charCodeAt(after) === SPACE) after++;
        this.after = after;
        j = fail[m - 1]!;
        break;
      }
    }
    this.i = i;
    this.j = j;
    this.symbols = symbols;
    return found;
  }

  /** next() for a short literal: matchLiteral at each occurrence of its first character (see SHORT_LITERAL). */
  private nextCandidate(): number {
    const { line, end } = this;
    const text = this.lit.text;
    const first = text[0]!;
    for (;;) {
      const c = line.indexOf(first, this.i);
      if (c === -1 || c >= end) {
        this.i = end;
        return -1;
      }
      this.i = c + 1;
      const after = matchLiteral(line, c, end, text);
      if (after >= 0) {
        this.after = after;
        return c;
      }
    }
  }
}

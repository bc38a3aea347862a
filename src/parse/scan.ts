/** Small scanning primitives shared by the layout scanner. Each runs in time linear in what it reads. */
import type { Literal } from './literal.js';

export const SPACE = 32;
const BACKSLASH = 92;

/** Matches literal text at p; a space in the literal matches a run of spaces (`-  -` in the wild). Returns the end, or -1. */
export function matchLiteral(line: string, p: number, end: number, lit: string): number {
  for (let k = 0; k < lit.length; k++) {
    const c = lit.charCodeAt(k);
    if (p >= end || line.charCodeAt(p) !== c) return -1;
    p++;
    if (c === SPACE) while (p < end && line.charCodeAt(p) === SPACE) p++;
  }
  return p;
}

/**
 * End of a list-valued nginx variable: the separator, but not inside `a, b` or `a : b`. The search
 * goes on past the separators inside the list without reading anything twice (see Literal).
 */
export function listEnd(line: string, p: number, end: number, sep: Literal): number {
  if (sep.text.charCodeAt(0) !== SPACE) return sep.find(line, p, end);
  return sep.findWhere(line, p, end, (q) => {
    const before = line.charCodeAt(q - 1);
    return before === 44 || (before === 58 && line.charCodeAt(q - 2) === SPACE) || (line.charCodeAt(q + 1) === 58 && line.charCodeAt(q + 2) === SPACE);
  });
}

/**
 * Where `lit` starts if it matches (as matchLiteral does) exactly up to `end`, not before `from`; -1
 * otherwise. Read backwards from `end`, so one call costs the literal's length and its runs of spaces.
 */
export function literalEndingAt(line: string, from: number, end: number, lit: string): number {
  let p = end;
  for (let k = lit.length - 1; k >= 0; k--) {
    const c = lit.charCodeAt(k);
    if (p <= from || line.charCodeAt(p - 1) !== c) return -1;
    p--;
    if (c === SPACE) while (p > from && line.charCodeAt(p - 1) === SPACE) p--;
  }
  return matchLiteral(line, p, end, lit) === end ? p : -1;
}

/** Odd number of backslashes right before position c (not looking before `from`). */
export function isEscaped(line: string, from: number, c: number): boolean {
  let k = c - 1;
  while (k >= from && line.charCodeAt(k) === BACKSLASH) k--;
  return (c - 1 - k) % 2 === 1;
}

export function isNumberStart(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45;
}

/** Spaces, then `"`, a digit or `-`: how the next field of an access log begins. */
export function startsAnotherField(line: string, p: number, end: number): boolean {
  if (line.charCodeAt(p) !== SPACE) return false;
  while (p < end && line.charCodeAt(p) === SPACE) p++;
  const c = line.charCodeAt(p);
  return c === 34 || isNumberStart(c);
}

/**
 * `name=` right at p or after spaces (`"UA"rt=0.003`, `"UA" sn="x"`): a key=value field, as the
 * nginx docs' upstream_time and NGINX Amplify's main_ext layouts append them.
 */
export function startsKeyValue(line: string, p: number, end: number): boolean {
  while (p < end && line.charCodeAt(p) === SPACE) p++;
  const from = p;
  while (p < end && isNameChar(line.charCodeAt(p))) p++;
  return p > from && p < end && line.charCodeAt(p) === 61;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/**
 * Whether [p, end), the rest of a line after an opening quote that no quote closes at the line's end,
 * holds the quote followed by a space and more text, or by `name=`: then the value ended there and
 * more fields follow (`"kube-probe/1.30" 0.319 0.318`, `"curl/8" HIT`), rather than the value being
 * cut off (a truncated user agent has no closing quote at all). With `anyText` false only a field's
 * start counts (a quote, a digit, `-`, `name=`): a stray quote before a word stays content.
 */
export function closesBeforeMoreFields(line: string, p: number, end: number, quote: number, anyText = true): boolean {
  for (let i = p; i < end; i++) {
    if (line.charCodeAt(i) !== quote) continue;
    if (anyText && line.charCodeAt(i + 1) === SPACE && i + 2 < end) return true;
    if (startsAnotherField(line, i + 1, end) || startsKeyValue(line, i + 1, end)) return true;
  }
  return false;
}

/** The first space in [p, end), or end. A plain loop: the fields it ends are short, where it beats indexOf. */
export function spaceOrEnd(line: string, p: number, end: number): number {
  while (p < end && line.charCodeAt(p) !== SPACE) p++;
  return p;
}

/** Whether [p, end) contains a space. */
export function hasSpace(line: string, p: number, end: number): boolean {
  return spaceOrEnd(line, p, end) < end;
}

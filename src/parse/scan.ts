/** Small scanning primitives shared by the layout scanner. Each runs in time linear in what it reads. */

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
 * First occurrence of `sep` in [from, end), or -1. A plain loop: unquoted fields are short (an
 * address, a status, a byte count), where it beats a call to indexOf.
 */
export function findSeparator(line: string, from: number, end: number, sep: string): number {
  const c0 = sep.charCodeAt(0);
  const single = sep.length === 1;
  for (let i = from; i < end; i++) {
    if (line.charCodeAt(i) === c0 && (single || line.startsWith(sep, i))) return i;
  }
  return -1;
}

/** End of a list-valued nginx variable: the separator, but not inside `a, b` or `a : b`. */
export function listEnd(line: string, p: number, end: number, sep: string): number {
  let from = p;
  for (;;) {
    const q = findSeparator(line, from, end, sep);
    if (q === -1 || sep.charCodeAt(0) !== SPACE) return q;
    const before = line.charCodeAt(q - 1);
    const inList = before === 44 || (before === 58 && line.charCodeAt(q - 2) === SPACE) || (line.charCodeAt(q + 1) === 58 && line.charCodeAt(q + 2) === SPACE);
    if (!inList) return q;
    from = q + 1;
  }
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

/** The first space in [p, end), or end. */
export function spaceOrEnd(line: string, p: number, end: number): number {
  const q = findSeparator(line, p, end, ' ');
  return q === -1 ? end : q;
}

/** Whether [p, end) contains a space. */
export function hasSpace(line: string, p: number, end: number): boolean {
  return findSeparator(line, p, end, ' ') !== -1;
}

import { levelFromStatus, type LogRecord } from '../domain/record.js';
import { FieldKind, FieldMode, isNumericKind, type Layout } from './layout.js';
import { storeField, type FieldState } from './layoutFields.js';
import { emptyRecord, excerpt, failWith, type Failure, type LineFormat } from './lineFormat.js';
import { Literal, RunMatches } from './literal.js';
import {
  closesBeforeMoreFields, hasSpace, isEscaped, isNumberStart, listEnd, literalEndingAt, matchLiteral, SPACE, spaceOrEnd, startsAnotherField, startsKeyValue,
} from './scan.js';
import { UTC, type Zone } from './zone.js';

/** Field end meaning "the value runs to the end of the line". */
const NO_CLOSE = -2;

/** One field of a layout with everything the scanner needs precomputed; one class, so every step has the same shape. */
class Step {
  constructor(
    readonly kind: FieldKind,
    readonly label: string,
    readonly mode: FieldMode,
    /** The literal after the field ('' at the end of the format). */
    readonly sep: string,
    /** The same, compiled for linear-time search. */
    readonly sepLiteral: Literal,
    /** Quoted fields: the occurrences of the separator (which starts with the quote), with space runs. */
    readonly closings: RunMatches | null,
    /** For a User field followed by ` [`-like text: that text without its leading spaces, to spot a missing field. */
    readonly userSkip: string | null,
    readonly listValued: boolean,
    readonly nextIsNumeric: boolean,
    readonly isLast: boolean,
    readonly isLastRequired: boolean,
  ) {}
}

/**
 * Scans lines with a compiled Layout, left to right, in time linear in the line length: each field
 * ends at the next occurrence of the literal that follows it, quoted fields at a closing quote that
 * is followed by that literal and a plausible next field. A stray quote inside a value (escaping is
 * not always right in the wild) only moves the search on; nothing backtracks.
 */
export class LayoutFormat implements LineFormat {
  readonly multiLine = false;
  readonly name: string;
  private readonly L: Layout;
  private readonly steps: Step[];
  /** Scratch values for one line; parseLine is synchronous and never re-entered, so one object serves all lines. */
  private readonly st: FieldState = {
    body: null, total: null, upstream: null, hasRequest: false, uriStart: -1, uriEnd: -1, junkMethod: null, junkProtocol: null,
  };
  /** The part of the last required field's separator that stays when the optional tail is absent. */
  private readonly requiredSep: string;
  private readonly hasBodyBytes: boolean;

  /** `zone`: the zone of a timestamp written without one (the upload's `tz`). */
  constructor(
    layout: Layout,
    private readonly zone: Zone = UTC,
  ) {
    this.L = layout;
    this.name = layout.name;
    const n = layout.fields.length;
    this.steps = layout.fields.map((f, i) => {
      const sep = layout.seps[i]!;
      const trimmed = sep.trimStart();
      const next = layout.fields[i + 1];
      const sepLiteral = new Literal(sep);
      const mode = layout.modes[i]!;
      return new Step(
        f.kind,
        f.label,
        mode,
        sep,
        sepLiteral,
        mode === FieldMode.Quoted ? new RunMatches(sepLiteral) : null,
        f.kind === FieldKind.User && trimmed.length > 0 && trimmed.length < sep.length ? trimmed : null,
        f.listValued === true,
        next !== undefined && isNumericKind(next.kind),
        i === n - 1,
        i === layout.requiredFields - 1,
      );
    });
    this.requiredSep = (layout.seps[layout.requiredFields - 1] ?? '').substring(0, layout.requiredSepChars);
    this.hasBodyBytes = layout.fields.some((f) => f.kind === FieldKind.BodyBytes || f.kind === FieldKind.ClfBytes || f.kind === FieldKind.BodyBytesOrDash);
  }

  startsRecord(): boolean {
    return true;
  }

  parseLine(line: string, fail: Failure): LogRecord | null {
    const L = this.L;
    let end = line.length;
    while (end > 0 && line.charCodeAt(end - 1) === SPACE) end--;
    let p = matchLiteral(line, 0, end, L.lead);
    if (p < 0) return this.expected(fail, L.lead, 0, end);
    const rec = emptyRecord();
    const st = this.st;
    st.body = st.total = st.upstream = null;
    st.hasRequest = false;
    st.uriStart = -1;
    st.junkMethod = st.junkProtocol = null;
    const steps = this.steps;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const sep = step.sep;
      let q: number;
      let next = -1;
      if (step.mode === FieldMode.Quoted) q = this.closingQuote(line, p, end, step);
      else if (sep === '') q = L.trailing === 'ignore' ? spaceOrEnd(line, p, end) : end;
      else if (step.userSkip !== null && (next = matchLiteral(line, p, end, step.userSkip)) >= 0) {
        q = p; // `1.2.3.4 - [date]`: the user field is missing, the rest of the line is intact
      } else {
        q = step.listValued ? listEnd(line, p, end, step.sepLiteral) : step.sepLiteral.find(line, p, end);
        if (q < 0 && step.isLastRequired && L.requiredSepChars === 0) q = NO_CLOSE;
      }
      if (q === -1) return failWith(fail, 'layout_mismatch', `${L.name}: expected '${excerpt(sep, 0, sep.length)}' after ${step.label} (column ${p + 1})`, p);
      let valueEnd = q === NO_CLOSE ? end : q;
      if (step.mode === FieldMode.Plain) {
        while (valueEnd > p && line.charCodeAt(valueEnd - 1) === SPACE) valueEnd--;
        // A user name is one token; several (`example.com 10.0.0.1 - -`) mean a vhost prefix, i.e. another layout.
        if (step.kind === FieldKind.User && hasSpace(line, p, valueEnd)) {
          return failWith(fail, 'layout_mismatch', `${L.name}: ${step.label} '${excerpt(line, p, valueEnd)}' is not one word (column ${p + 1})`, p);
        }
      }
      if (!storeField(step.kind, step.label, line, p, valueEnd, rec, st, L.json, fail, this.zone)) return null;
      if (q === NO_CLOSE) return this.finish(rec, line);
      if (next < 0) next = matchLiteral(line, q, end, sep);
      if (next < 0 && step.isLastRequired && matchLiteral(line, q, end, this.requiredSep) === end) {
        return this.finish(rec, line); // the optional tail is absent
      }
      if (next < 0) return this.expected(fail, sep, q, end);
      p = next;
    }
    if (p < end && !(L.trailing === 'ignore' && (line.charCodeAt(p) === SPACE || line.charCodeAt(p - 1) === SPACE))) {
      return failWith(fail, 'unexpected_trailing_text', `${L.name}: '${excerpt(line, p, end)}' at column ${p + 1}`, p);
    }
    return this.finish(rec, line);
  }

  /**
   * The position of the quote that closes the field, NO_CLOSE for a value cut off at the end of the
   * line, or -1. The candidates are the occurrences of the separator (which starts with the quote), in
   * order, found in one forward pass (RunMatches), so a long separator costs no more than a short one.
   */
  private closingQuote(line: string, p: number, end: number, step: Step): number {
    const matches = step.closings!;
    // The quote from which exactly the kept part of the separator reaches the end of the line (the
    // optional tail is absent): at most one position, found once by reading back from the end.
    const tailQuote = !step.isLast && step.isLastRequired && this.requiredSep !== '' ? literalEndingAt(line, p, end, this.requiredSep) : -1;
    // A quote where the separator matches but the next field looks wrong: used when nothing better turns
    // up, so that the rejection names the bad value ("bad status code 'abc'") rather than the quote.
    let firstMatch = -1;
    let skippedEscaped = false;
    // First pass honours backslash escapes (Apache's \", escape=json); the second does not (escape=none, broken escaping).
    for (let pass = 0; pass < 2 && (pass === 0 || skippedEscaped); pass++) {
      matches.reset(line, p, end);
      let tailSeen = tailQuote < 0;
      for (;;) {
        const c = matches.next();
        if (!tailSeen && (c === -1 || c >= tailQuote)) {
          tailSeen = true;
          if (pass === 1 || !this.escapedQuote(line, p, tailQuote)) {
            // At the same quote the separator's own checks come first; they may only return it sooner.
            // Not when a quote before it is followed by another field (`"UA"rt=0.052 … urt="0.051"`,
            // `"UA" 0.052 "0.051"`): the line ends with another layout's quoted field, not with this value.
            if (c !== tailQuote && !closesBeforeMoreFields(line, p, tailQuote, step.sep.charCodeAt(0), false)) return tailQuote;
          } else skippedEscaped = true;
        }
        if (c === -1) break;
        if (pass === 0 && this.escapedQuote(line, p, c)) {
          skippedEscaped = true;
          continue;
        }
        const after = matches.after;
        if (step.isLast) {
          // The final quote of the line closes it (a stray quote inside a user agent is content). But a
          // quote followed by what starts another field (` "`, ` 0.05`, ` -`) is a boundary: the line
          // has more fields than the format, which the trailing-text check then accepts or rejects.
          if (after === end || startsAnotherField(line, after, end) || startsKeyValue(line, after, end)) return c;
          // A catch-all ignores what follows, so any ` ` after the quote ends the value (`"curl/8" HIT`).
          if (this.L.trailing === 'ignore' && line.charCodeAt(after) === SPACE) return c;
          continue;
        }
        if (after < end) {
          if (!step.nextIsNumeric || isNumberStart(line.charCodeAt(after))) return c;
          // `"UA" "-" 0.052` read where a number follows the value: a quoted field follows instead, so the
          // line has a field this layout has not (nginx main's X-Forwarded-For); never a value with `" "` in it.
          if (line.charCodeAt(after) === line.charCodeAt(c)) return firstMatch >= 0 ? firstMatch : c;
          if (firstMatch < 0) firstMatch = c;
        }
        if (c === tailQuote) return c;
      }
    }
    if (firstMatch >= 0) return firstMatch;
    // A final quoted value without its closing quote (a truncated user agent): take the rest of the line.
    // Not when a quote in it is followed by more fields (`kube-probe/1.30" 0.319 0.318`): the line has
    // fields this layout does not have, and swallowing them into the value would lose them silently.
    if (!(step.isLast || step.isLastRequired)) return -1;
    return closesBeforeMoreFields(line, p, end, step.sep.charCodeAt(0)) ? -1 : NO_CLOSE;
  }

  private escapedQuote(line: string, from: number, c: number): boolean {
    return line.charCodeAt(c - 1) === 92 && isEscaped(line, from, c);
  }

  private finish(rec: LogRecord, line: string): LogRecord {
    const st = this.st;
    rec.bytesSent = this.hasBodyBytes ? st.body : st.total;
    if (rec.latencyMs === null) rec.latencyMs = st.upstream;
    if (!st.hasRequest) {
      const method = rec.method ?? st.junkMethod;
      if (method !== null || st.uriStart >= 0) {
        // The request as logged, whether or not its parts are valid.
        const uri = st.uriStart >= 0 ? line.substring(st.uriStart, st.uriEnd) : '-';
        const protocol = rec.protocol ?? st.junkProtocol;
        rec.message = protocol === null ? `${method ?? '-'} ${uri}` : `${method ?? '-'} ${uri} ${protocol}`;
      } else rec.message = line;
      if (st.junkMethod !== null) {
        // Not an HTTP method: not an HTTP request, as requestLine.ts decides for a whole request line.
        rec.endpoint = null;
        rec.protocol = null;
      }
    }
    rec.level = levelFromStatus(rec.statusCode);
    return rec;
  }

  private expected(fail: Failure, literal: string, at: number, end: number): null {
    const where = at >= end ? `the line ends at column ${at + 1}` : `at column ${at + 1}`;
    // An excerpt: a pasted format's literal may be thousands of characters, and a detail is stored per line.
    return failWith(fail, 'layout_mismatch', `${this.L.name}: expected '${excerpt(literal, 0, literal.length)}' ${where}`, at);
  }
}

import type { LogRecord } from '../domain/record.js';
import { newFailure, type Failure, type LineFormat } from './lineFormat.js';
import type { Preset } from './presets.js';
import { syslogPrefixLength } from './syslog.js';

/**
 * A primary format plus formats to try, in order, for a line the primary rejects; a syslog header is
 * stripped when present. Auto mode uses the detected preset as primary and every other preset as
 * fallback, so a file that mixes combined, vhost_combined and the odd error line parses every line
 * some preset understands. A rejection gives the primary format's reason: the format of the file is
 * what a reader compares the line with (another preset's reason, e.g. "bad timestamp" from reading
 * an access line as vhost_combined, only confuses).
 */
export class FormatChain implements LineFormat {
  readonly name: string;
  readonly multiLine: boolean;
  private readonly scratch = newFailure();

  constructor(
    private readonly primary: LineFormat,
    private readonly others: readonly LineFormat[],
    /** Most lines carry a syslog header: strip it before trying the primary. */
    private readonly syslogFirst: boolean,
  ) {
    this.name = primary.name;
    this.multiLine = primary.multiLine;
  }

  parseLine(text: string, fail: Failure): LogRecord | null {
    let t = text;
    if (this.syslogFirst) t = text.substring(syslogPrefixLength(text));
    const rec = this.primary.parseLine(t, fail);
    if (rec !== null) return rec;
    if (fail.implausible) return null; // read right, with a value that cannot be: no other reading hides that
    if (!this.syslogFirst) {
      const off = syslogPrefixLength(t);
      if (off > 0) {
        t = t.substring(off);
        const again = this.primary.parseLine(t, fail); // its reason now speaks of the line without the header
        if (again !== null || fail.implausible) return again;
      }
    }
    for (const other of this.others) {
      const r = other.parseLine(t, this.scratch);
      if (r !== null) return r;
    }
    return null;
  }

  /**
   * Single-line primaries: every line starts a record. With an error-log primary (nginx_error) a line
   * continues the previous record unless it starts an error record or some other format parses it —
   * so an access line in the middle of an error log is still a record of its own.
   */
  startsRecord(line: string): boolean {
    if (!this.primary.multiLine || this.primary.startsRecord(line)) return true;
    const t = line.substring(syslogPrefixLength(line));
    return this.others.some((f) => f.parseLine(t, this.scratch) !== null);
  }
}

export interface Detection {
  primary: Preset;
  /** The other presets, most sample lines parsed first; catch-all presets last. */
  fallbacks: Preset[];
  /** Sample lines each preset parsed, by name (for diagnostics). */
  scores: Map<string, number>;
  syslogFirst: boolean;
}

/**
 * Picks the preset that parses most sample lines (ties go to the earlier preset in PRESETS order).
 * A catch-all preset is primary only when no other preset parses any line; with no match at all,
 * the first listed default is used and lines are rejected with its reasons.
 */
export function detectFormat(samples: readonly string[], presets: readonly Preset[], defaultName: string): Detection {
  const lines = samples.filter((s) => s.length > 0);
  let prefixed = 0;
  const stripped = lines.map((s) => {
    const off = syslogPrefixLength(s);
    if (off > 0) prefixed++;
    return s.substring(off);
  });
  const fail = newFailure();
  const scores = new Map<string, number>();
  for (const preset of presets) {
    const format = preset.create();
    scores.set(preset.name, stripped.filter((line) => format.parseLine(line, fail) !== null).length);
  }
  const score = (p: Preset): number => scores.get(p.name) ?? 0;
  const pick = (candidates: Preset[]): Preset | undefined =>
    candidates.reduce<Preset | undefined>((best, p) => (score(p) > 0 && (best === undefined || score(p) > score(best)) ? p : best), undefined);
  const primary =
    pick(presets.filter((p) => p.fallbackOnly !== true)) ??
    pick(presets.filter((p) => p.fallbackOnly === true)) ??
    presets.find((p) => p.name === defaultName) ??
    presets[0]!;
  const others = presets.filter((p) => p !== primary);
  const fallbacks = [
    ...others.filter((p) => p.fallbackOnly !== true).sort((a, b) => score(b) - score(a)),
    ...others.filter((p) => p.fallbackOnly === true),
  ];
  return { primary, fallbacks, scores, syslogFirst: lines.length > 0 && prefixed * 2 > lines.length };
}

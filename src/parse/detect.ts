import type { LogRecord } from '../domain/record.js';
import { chooseLatencyReading } from './latencyUnits.js';
import { newFailure, type Failure, type LineFormat } from './lineFormat.js';
import { syslogPrefixLength } from './syslog.js';

/**
 * A primary format plus formats to try, in order, for a line the primary rejects; a syslog header is
 * stripped when present. Auto mode puts the layouts detected in the sample first (so a mixed file is
 * read line by line with the layout that explains each line) and every record says which layout read
 * it. A rejection gives the primary format's reason: the format of the file is what a reader compares
 * the line with (another preset's reason, e.g. "bad timestamp" from reading an access line as
 * vhost_combined, only confuses).
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
    if (rec !== null) return withLayout(rec, this.primary);
    if (fail.implausible) return null; // read right, with a value that cannot be: no other reading hides that
    if (!this.syslogFirst) {
      const off = syslogPrefixLength(t);
      if (off > 0) {
        t = t.substring(off);
        const again = this.primary.parseLine(t, fail); // its reason now speaks of the line without the header
        if (again !== null) return withLayout(again, this.primary);
        if (fail.implausible) return null;
      }
    }
    for (const other of this.others) {
      const r = other.parseLine(t, this.scratch);
      if (r !== null) return withLayout(r, other);
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

function withLayout(rec: LogRecord, format: LineFormat): LogRecord {
  rec.layout = format.name;
  return rec;
}

/** A layout that can take part in detection: a preset, or one built from the sample (JSON access logs). */
export interface Candidate {
  name: string;
  format: LineFormat;
  fallbackOnly: boolean;
  /** Latency readings of the same lines that differ only in unit compete as a group (presets.ts). */
  unitGroup?: string;
  /** What one logged unit of its request time is worth in ms (1000 for %T), for the unit decision. */
  latencyResolutionMs?: number;
  /** A layout built from the sample (JSON) may itself be unsure of something; said when it reads lines. */
  warning?: string | null;
  /** Which record field comes from where (JSON keys), for `POST /formats/detect`. */
  mapping?: Record<string, string>;
}

export interface CandidateScore {
  name: string;
  /** Sample lines this layout reads. */
  parsed: number;
  /** What became of it: the primary, a fallback for lines the layouts before it reject, or why not used. */
  role: 'primary' | 'fallback' | 'catch-all' | 'unused' | 'outvoted';
  note: string | null;
  /** Which record field comes from where (JSON access logs); null for layouts, whose definition says it. */
  mapping: Record<string, string> | null;
}

export interface Detection {
  /** The format tried first, then the others for a line it rejects. */
  chain: FormatChain;
  primary: string;
  /** 'low' when two layouts fit the sample and disagree on a field, or lines are read only by a catch-all. */
  confidence: 'high' | 'low';
  /** What detection was unsure of, one sentence each; empty when sure. */
  warnings: string[];
  /** Sample lines each layout of the chain reads first (a line counts for the first layout that reads it). */
  layouts: { name: string; lines: number }[];
  /** Every candidate's score and role, for `POST /formats/detect`. */
  candidates: CandidateScore[];
  sampleLines: number;
  /** Sample lines no layout reads (they will be rejected). */
  unread: number;
}

/** The fields compared when two layouts read the same line: a difference means they disagree. */
const COMPARED: readonly (keyof LogRecord)[] = [
  'timestamp', 'statusCode', 'method', 'endpoint', 'protocol', 'latencyMs', 'clientIp', 'bytesSent', 'userAgent', 'referer', 'host',
];

interface Scored {
  c: Candidate;
  index: number;
  records: (LogRecord | null)[];
  parsed: number;
  role: CandidateScore['role'];
  note: string | null;
}

/**
 * Scores every candidate layout over the sample lines and orders them into a chain.
 * - Presets are strict (they read a whole line or reject it), so the layout that reads most lines is
 *   the one that explains them; ties go to the earlier candidate (PRESETS order).
 * - Layouts that read exactly the same lines into different records disagree: when only the latency
 *   differs (its unit), the values decide (latencyUnits.ts) and the others are left out of the chain,
 *   so no line of the file is read with the unit ruled out; otherwise the earlier one is kept and the
 *   detection is reported as unsure.
 * - Every strict layout that reads some sample line goes first, most lines first: a mixed file is read
 *   line by line by the layout that explains each line. The remaining strict layouts follow (a line
 *   the sample did not show), then the catch-alls, which ignore appended fields and so are reported.
 */
export function detectFormat(samples: readonly string[], candidates: readonly Candidate[], defaultName: string): Detection {
  const lines = samples.filter((s) => s.length > 0);
  let prefixed = 0;
  const stripped = lines.map((s) => {
    const off = syslogPrefixLength(s);
    if (off > 0) prefixed++;
    return s.substring(off);
  });
  const fail = newFailure();
  const scored: Scored[] = candidates.map((c, index) => {
    const records = stripped.map((line) => c.format.parseLine(line, fail));
    return { c, index, records, parsed: records.filter((r) => r !== null).length, role: 'unused', note: null };
  });
  const warnings: string[] = [];
  let sure = true;

  const strict = scored.filter((s) => !s.c.fallbackOnly && s.parsed > 0).sort((a, b) => b.parsed - a.parsed || a.index - b.index);
  const placed: Scored[] = [];
  const outvoted = new Set<Scored>();
  for (const s of strict) {
    if (outvoted.has(s) || placed.includes(s)) continue;
    // Members of a unit group are rivals even where their records agree (every value 0): a later line would tell them apart.
    const rivals = strict.filter(
      (o) => o !== s && !outvoted.has(o) && !placed.includes(o) && sameLines(s, o) && (sameUnitGroup(s, o) || disagreement(s, o) !== null),
    );
    if (rivals.length === 0) {
      placed.push(s);
      continue;
    }
    const group = [s, ...rivals];
    const fields = new Set(rivals.flatMap((o) => disagreement(s, o) ?? []));
    const named = [...fields].map(apiName).join(', ') || 'latency_ms';
    let winner = s;
    if (rivals.every((o) => sameUnitGroup(s, o)) || (fields.size === 1 && fields.has('latencyMs'))) {
      const choice = chooseLatencyReading(
        group.map((g) => g.records.filter((r) => r !== null).map((r) => r.latencyMs)),
        group.map((g) => g.c.latencyResolutionMs),
      );
      if (choice.sure) {
        winner = group[choice.best]!;
        winner.note = `request time unit chosen from the values over ${group.filter((g) => g !== winner).map((g) => g.c.name).join(', ')}`;
      } else {
        // The values do not tell: the earlier preset, i.e. the more common layout (%D before %{ms}T and %T).
        sure = false;
        const likelier = group[choice.best]!;
        const other = likelier === s ? group[choice.runnerUp]! : likelier;
        warnings.push(
          `the sample fits ${s.c.name} and ${other.c.name}, which read the request time in different units, and its values do not tell which: ` +
            `chose ${s.c.name}, the more common layout; upload with format=${other.c.name} if that is yours`,
        );
        s.note = `request time unit uncertain: the values fit ${other.c.name} as well`;
      }
    } else {
      sure = false;
      warnings.push(
        `the sample fits ${group.map((g) => g.c.name).join(' and ')}, which disagree on ${named}; chose ${s.c.name}: ` +
          'paste your log_format / LogFormat (format=nginx or apache) to be sure',
      );
    }
    placed.push(winner);
    for (const g of group) {
      if (g === winner) continue;
      outvoted.add(g);
      g.role = 'outvoted';
      g.note = `reads the same lines as ${winner.c.name} with a different ${named}`;
    }
  }

  // Unit groups: a member outvoted, or never seen in the sample while none was placed, stays out of the chain.
  const placedGroups = new Set(placed.map((p) => p.c.unitGroup).filter((g) => g !== undefined));
  const rest = scored.filter((s) => !s.c.fallbackOnly && !placed.includes(s) && !outvoted.has(s));
  const excluded = new Set<Scored>();
  for (const s of rest) {
    if (s.c.unitGroup === undefined) continue;
    excluded.add(s);
    s.note = placedGroups.has(s.c.unitGroup) ? 'another unit was chosen' : 'the sample does not show which unit the request time has';
  }
  const restInChain = rest.filter((s) => !excluded.has(s));
  const catchAlls = scored.filter((s) => s.c.fallbackOnly);

  // A placed layout that reads no sample line first (nginx_main beside nginx_combined on lines without
  // X-Forwarded-For) goes after those that do: a line the primary rejects meets the layouts it is likelier to fit first.
  const firstReaders = new Set(stripped.map((_, i) => placed.find((s) => s.records[i] !== null)));
  let chain = [...placed.filter((s) => firstReaders.has(s)), ...placed.filter((s) => !firstReaders.has(s)), ...restInChain, ...catchAlls];
  if (placed.length === 0) {
    // No strict layout reads any line: the catch-all that reads most is primary, else the default.
    const bestCatchAll = [...catchAlls].sort((a, b) => b.parsed - a.parsed || a.index - b.index)[0];
    const primary = bestCatchAll !== undefined && bestCatchAll.parsed > 0 ? bestCatchAll : scored.find((s) => s.c.name === defaultName) ?? scored[0]!;
    chain = [primary, ...chain.filter((s) => s !== primary)];
  }

  // Which layout reads each sample line first, in chain order.
  const firstReader = stripped.map((_, i) => chain.find((s) => s.records[i] !== null));
  const layouts = chain
    .map((s) => ({ name: s.c.name, lines: firstReader.filter((r) => r === s).length }))
    .filter((l) => l.lines > 0);
  const byCatchAll = firstReader.filter((r) => r !== undefined && r.c.fallbackOnly).length;
  if (byCatchAll > 0) {
    sure = false;
    warnings.push(
      `${byCatchAll} of ${lines.length} sample lines carry fields after the user agent that no known layout explains; they are stored without them ` +
        '(latency may be missing): paste your log_format / LogFormat (format=nginx or apache) to read them',
    );
  }
  for (const s of chain) {
    if (!firstReader.includes(s) || s.c.warning === undefined || s.c.warning === null) continue;
    sure = false;
    warnings.push(s.c.warning);
  }
  chain.forEach((s, i) => {
    s.role = i === 0 ? 'primary' : s.c.fallbackOnly ? 'catch-all' : firstReader.includes(s) ? 'fallback' : 'unused';
  });
  const inChain = chain.map((s) => s.c.format);
  return {
    chain: new FormatChain(inChain[0]!, inChain.slice(1), lines.length > 0 && prefixed * 2 > lines.length),
    primary: chain[0]!.c.name,
    confidence: sure ? 'high' : 'low',
    warnings,
    layouts,
    candidates: scored.map((s) => ({ name: s.c.name, parsed: s.parsed, role: s.role, note: s.note, mapping: s.c.mapping ?? null })),
    sampleLines: lines.length,
    unread: firstReader.filter((r) => r === undefined).length,
  };
}

function sameUnitGroup(a: Scored, b: Scored): boolean {
  return a.c.unitGroup !== undefined && a.c.unitGroup === b.c.unitGroup;
}

/** A record field as the API names it (`latencyMs` → `latency_ms`), for warnings a user reads. */
function apiName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function sameLines(a: Scored, b: Scored): boolean {
  return a.parsed === b.parsed && a.records.every((r, i) => (r === null) === (b.records[i] === null));
}

/** The fields on which two layouts' records of the same lines differ; null when they agree. */
function disagreement(a: Scored, b: Scored): (keyof LogRecord)[] | null {
  const fields = new Set<keyof LogRecord>();
  a.records.forEach((r, i) => {
    const o = b.records[i];
    if (r === null || o === null || o === undefined) return;
    for (const f of COMPARED) if (r[f] !== o[f] && !(Number.isNaN(r[f]) && Number.isNaN(o[f]))) fields.add(f);
  });
  return fields.size === 0 ? null : [...fields];
}

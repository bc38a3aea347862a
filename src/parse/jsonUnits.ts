/**
 * Units of a JSON access log's numbers: the latency key's unit, decided once from the key and the
 * sample values (never per line, never silently: an ambiguous choice says so), and epoch times, whose
 * unit their magnitude tells. The rules are tabled in README.md ("JSON access logs").
 */
import { isDash, secondsToMs, sumSecondsList } from './fieldValues.js';
import { chooseLatencyReading } from './latencyUnits.js';
import { parseAnyTimestamp } from './timestamps.js';
import { UTC, type Zone } from './zone.js';

export type DurationUnit = 's' | 'ms' | 'us' | 'ns';

export const UNIT_NAMES: Readonly<Record<DurationUnit, string>> = { s: 's', ms: 'ms', us: 'µs', ns: 'ns' };
const NS_PER: Readonly<Record<DurationUnit, number>> = { s: 1e9, ms: 1e6, us: 1e3, ns: 1 };

/**
 * Unit suffixes of a latency key, lower case (keys are matched case-insensitively, so `durationMs`
 * is `duration` + `ms`). A suffix settles the unit whatever the values look like.
 */
export const UNIT_SUFFIXES: readonly (readonly [string, DurationUnit])[] = [
  ['_ms', 'ms'], ['_msec', 'ms'], ['_millis', 'ms'], ['_milliseconds', 'ms'], ['ms', 'ms'],
  ['_us', 'us'], ['_usec', 'us'], ['_micros', 'us'], ['_microseconds', 'us'], ['us', 'us'],
  ['_ns', 'ns'], ['_nsec', 'ns'], ['_nanos', 'ns'], ['_nanoseconds', 'ns'], ['ns', 'ns'],
  ['_s', 's'], ['_sec', 's'], ['_secs', 's'], ['_seconds', 's'],
];

/** How one latency key is read. */
export interface DurationReading {
  /** Unit of plain numbers (and numeric strings); null when the sample held only Go duration strings. */
  unit: DurationUnit | null;
  /** nginx `$upstream_response_time`: seconds, a list summed (`0.1, 0.2 : 0.3`). */
  list: boolean;
  confidence: 'high' | 'low';
  /** One sentence when the unit is uncertain, else null. */
  warning: string | null;
  /** How the unit was decided, for the mapping shown to the user (`s`, `ns, Traefik`, `ms from the values`). */
  note: string;
}

const sure = (unit: DurationUnit, note: string): DurationReading => ({ unit, list: false, confidence: 'high', warning: null, note });

/**
 * Decides the unit of latency key `key` (`suffix`: its unit suffix, or ''). `known`: the unit the
 * producer documents for the suffix-less key (see jsonKeys.ts KNOWN_DURATIONS), or null; `values`:
 * the key's values in the sample lines.
 */
export function decideDurationUnit(
  key: string,
  suffix: string,
  known: { unit: DurationUnit; by: string; certain: boolean } | null,
  values: readonly unknown[],
): DurationReading {
  const bySuffix = UNIT_SUFFIXES.find(([s]) => s === suffix.toLowerCase());
  if (bySuffix !== undefined) return sure(bySuffix[1], `${UNIT_NAMES[bySuffix[1]]}, from the key`);
  const numbers: number[] = [];
  let goStrings = 0;
  for (const v of values) {
    const n = typeof v === 'number' ? v : typeof v === 'string' ? numberFromString(v) : NaN;
    if (Number.isFinite(n) && n >= 0) numbers.push(n);
    else if (typeof v === 'string' && !Number.isNaN(goDurationMs(v))) goStrings++;
  }
  if (numbers.length === 0 && goStrings > 0) return { unit: null, list: false, confidence: 'high', warning: null, note: 'Go duration strings such as 12.5ms' };
  if (known !== null && (known.certain || !contradicts(numbers, known.unit))) return sure(known.unit, `${UNIT_NAMES[known.unit]}, ${known.by}`);
  const r = unitFromValues(key, numbers);
  if (known === null) return r;
  // The producer was recognised, but its documented unit gives absurd durations (Caddy set to log nanoseconds).
  const said = r.warning ?? `read as ${UNIT_NAMES[r.unit!]} (${r.note})`;
  return { ...r, confidence: 'low', warning: `'${key}' does not look like ${known.by} ${UNIT_NAMES[known.unit]}; ${said}` };
}

/** The median duration under `unit` is beyond any sane median (below 1 µs or above 100 s). */
function contradicts(numbers: readonly number[], unit: DurationUnit): boolean {
  const nonzero = numbers.filter((n) => n > 0).sort((a, b) => a - b);
  if (nonzero.length === 0) return false;
  const ms = (nonzero[nonzero.length >> 1]! * NS_PER[unit]) / 1e6;
  return ms < 0.001 || ms > 100_000;
}

/**
 * The generic rule: each unit the values can be in (fractional values: s or ms; integers: ms, µs, ns, s)
 * is a reading, scored by latencyUnits.ts as the layouts' integer units are (how likely its latencies
 * are for web requests); the likeliest wins, with low confidence when it is not clearly likelier than
 * the next. Zeros are left out: JSON.parse makes `0.000` and `0` the same number, so they cannot tell
 * a resolution, and a sample of zeros would otherwise pick whole seconds for a key in any unit.
 */
function unitFromValues(key: string, numbers: readonly number[]): DurationReading {
  const nonzero = numbers.filter((n) => n > 0);
  if (nonzero.length === 0) {
    return { unit: 'ms', list: false, confidence: 'low', warning: `'${key}' has no non-zero value in the sample to tell its unit; read as milliseconds`, note: 'ms, assumed' };
  }
  // A fraction of a nanosecond or microsecond is not logged: fractional values are seconds or milliseconds.
  const candidates: DurationUnit[] = nonzero.some((n) => !Number.isInteger(n)) ? ['s', 'ms'] : ['ms', 'us', 'ns', 's'];
  // Scored to the microsecond, the finest resolution the scorer knows (a float's digits are no
  // resolution); a non-zero value stays at least 1 µs: the scorer takes a zero, and a value far below
  // its finest resolution, for a multiple of whole seconds ("under a second").
  const toScore = (n: number, u: DurationUnit): number => Math.max(0.001, Math.round((n * NS_PER[u]) / 1e3) / 1e3);
  const choice = chooseLatencyReading(candidates.map((u) => nonzero.map((n) => toScore(n, u))));
  const unit = candidates[choice.best]!;
  if (choice.sure) return sure(unit, `${UNIT_NAMES[unit]}, from the values`);
  const median = [...nonzero].sort((x, y) => x - y)[nonzero.length >> 1]!;
  const other = UNIT_NAMES[candidates[choice.runnerUp]!];
  const warning = `'${key}' could be ${UNIT_NAMES[unit]} or ${other}; read as ${UNIT_NAMES[unit]} (median ${median} → ${formatMs((median * NS_PER[unit]) / 1e6)} ms)`;
  return { unit, list: false, confidence: 'low', warning, note: `${UNIT_NAMES[unit]}, guessed from the values` };
}

function formatMs(ms: number): string {
  return ms >= 100 ? String(Math.round(ms)) : String(Number(ms.toPrecision(3)));
}

/** nginx `$upstream_response_time`: a list of seconds, summed as the layout parser does. */
export const UPSTREAM_LIST: DurationReading = { unit: 's', list: true, confidence: 'high', warning: null, note: 's, a list summed (nginx)' };

/**
 * A duration value in ms: NaN when it is not one, null when absent (`-`, `""`, JSON null). Numbers are
 * rounded to the nanosecond, so that 0.042 s is exactly 42 ms, as the layout parsers compute it from the digits.
 */
export function durationMs(v: unknown, r: DurationReading): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return r.unit === null || !(v >= 0) ? NaN : Math.round(v * NS_PER[r.unit]) / 1e6;
  if (typeof v !== 'string') return NaN;
  if (v.length === 0 || isDash(v, 0, v.length)) return null;
  if (r.list) return sumSecondsList(v, 0, v.length);
  if (r.unit === 's') {
    const ms = secondsToMs(v, 0, v.length);
    if (!Number.isNaN(ms)) return ms;
  }
  if (r.unit !== null) {
    const n = numberFromString(v);
    if (!Number.isNaN(n)) return Math.round(n * NS_PER[r.unit]) / 1e6;
  }
  return goDurationMs(v);
}

/** Digits with at most one `.` (no sign, exponent or spaces), as a number; NaN otherwise. */
export function numberFromString(s: string): number {
  let dot = false;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && !dot) dot = true;
    else return NaN;
  }
  return digits > 0 && digits <= 30 ? Number(s) : NaN;
}

/** Nanoseconds per Go duration unit (time.Duration.String(): `1h2m3.5s`, `12.5ms`, `350µs`). */
function goUnitNs(s: string, i: number, end: number): [number, number] {
  const c = s.charCodeAt(i);
  const next = i + 1 < end ? s.charCodeAt(i + 1) : 0;
  if (c === 104) return [3.6e12, 1]; // h
  if (c === 115) return [1e9, 1]; // s
  if (c === 109) return next === 115 ? [1e6, 2] : [6e10, 1]; // ms, m
  if ((c === 117 || c === 0xb5 || c === 0x3bc) && next === 115) return [1e3, 2]; // us µs μs
  if (c === 110 && next === 115) return [1, 2]; // ns
  return [NaN, 0];
}

/** A Go-style duration string (`1.5s`, `2m3.1s`, `350µs`) in ms, NaN when it is not one. Linear; no regex. */
export function goDurationMs(s: string): number {
  const end = s.length;
  if (end === 0 || end > 64) return NaN;
  let i = 0;
  let totalNs = 0;
  while (i < end) {
    const start = i;
    while (i < end && ((s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) || s.charCodeAt(i) === 46)) i++;
    const n = numberFromString(s.substring(start, i));
    if (Number.isNaN(n)) return NaN;
    const [ns, len] = goUnitNs(s, i, end);
    if (len === 0) return NaN;
    totalNs += n * ns;
    i += len;
  }
  return Math.round(totalNs) / 1e6;
}

/** An epoch time's unit from its magnitude (dates from 1973 to 5138 in each): the bands are 1000× apart. */
export function epochUnit(v: number): DurationUnit | null {
  if (!(v >= 1e8) || v >= 1e20) return null;
  return v < 1e11 ? 's' : v < 1e14 ? 'ms' : v < 1e17 ? 'us' : 'ns';
}

/** Epoch ms of an epoch number in any unit (see epochUnit), kept to the microsecond; NaN when not an epoch time. */
export function epochToMs(v: number): number {
  const unit = epochUnit(v);
  if (unit === null) return NaN;
  return Math.round((v * NS_PER[unit]) / 1e3) / 1e3;
}

/** A time value in epoch ms, NaN when not one: epoch numbers and numeric strings (`"$msec"`), or the layouts' time strings. */
export function timeMs(v: unknown, zone: Zone = UTC): number {
  if (typeof v === 'number') return epochToMs(v);
  if (typeof v !== 'string') return NaN;
  const n = numberFromString(v);
  return Number.isNaN(n) ? parseAnyTimestamp(v, 0, v.length, zone) : epochToMs(n);
}

/**
 * The plan for reading a JSON access log: one key per record field and the latency unit, decided from
 * the sample records (jsonKeys.ts table, jsonUnits.ts rules), and the mapping shown to the user.
 */
import { parseDigits, parseStatus, sumSecondsList } from './fieldValues.js';
import { chooseKey, JSON_KEYS, KNOWN_DURATIONS, leavesOf, plainCandidates, type ChosenKey, type JsonRole, type Leaf } from './jsonKeys.js';
import type { JsonObject } from './jsonLine.js';
import {
  decideDurationUnit, epochUnit, goDurationMs, numberFromString, timeMs, UNIT_NAMES, UNIT_SUFFIXES, UPSTREAM_LIST, type DurationReading,
} from './jsonUnits.js';

export interface JsonPlan {
  /** Lines are Docker json-file records; the access record is the JSON text in their `log`. */
  dockerLog: boolean;
  time: ChosenKey;
  /** `epoch s` … when the sample's times are numbers; null for time strings. */
  timeEpoch: string | null;
  /** Every field but time and latency; null where the sample has no key for it. */
  keys: Readonly<Record<Exclude<JsonRole, 'time' | 'latency'>, ChosenKey | null>>;
  latency: { key: ChosenKey; reading: DurationReading } | null;
}

const isText = (v: unknown): boolean => typeof v === 'string' || (Array.isArray(v) && typeof v[0] === 'string');

/** What a usable value of each field looks like in the sample (a key with only other values is passed over). */
const USABLE: Readonly<Record<Exclude<JsonRole, 'time' | 'latency'>, (v: unknown) => boolean>> = {
  client: isText,
  forwardedFor: isText,
  request: (v) => typeof v === 'string',
  method: (v) => typeof v === 'string',
  uri: (v) => typeof v === 'string',
  args: (v) => typeof v === 'string',
  protocol: (v) => typeof v === 'string',
  status: (v) => (typeof v === 'number' ? Number.isInteger(v) && v >= 100 && v <= 599 : typeof v === 'string' && parseStatus(v, 0, v.length) >= 0),
  bytes: (v) => (typeof v === 'number' ? Number.isInteger(v) && v >= 0 : typeof v === 'string' && parseDigits(v, 0, v.length) >= 0),
  userAgent: isText,
  referer: isText,
  host: (v) => typeof v === 'string',
};

const isDuration = (v: unknown): boolean =>
  typeof v === 'number'
    ? v >= 0
    : typeof v === 'string' && (!Number.isNaN(numberFromString(v)) || !Number.isNaN(goDurationMs(v)) || !Number.isNaN(sumSecondsList(v, 0, v.length) ?? NaN));

/** The plan for these sample records, or null when none of them has a usable time. */
export function planFromSample(records: readonly JsonObject[], dockerLog: boolean): JsonPlan | null {
  const samples = records.map(leavesOf);
  const time = chooseKey(samples, plainCandidates('time'), (v) => !Number.isNaN(timeMs(v)));
  if (time === null) return null;
  const keys = {} as Record<Exclude<JsonRole, 'time' | 'latency'>, ChosenKey | null>;
  for (const role of Object.keys(USABLE) as (keyof typeof USABLE)[]) keys[role] = chooseKey(samples, plainCandidates(role), USABLE[role]);
  return { dockerLog, time, timeEpoch: epochNote(samples, time), keys, latency: latencyPlan(samples) };
}

/** Latency keys in order: each base, first as it is, then with each unit suffix. */
function latencyCandidates(): [string, string, string][] {
  return JSON_KEYS.latency.flatMap((base) => [[base, base, ''] as [string, string, string], ...UNIT_SUFFIXES.map(([s]): [string, string, string] => [base + s, base, s])]);
}

function latencyPlan(samples: readonly ReadonlyMap<string, Leaf>[]): JsonPlan['latency'] {
  const key = chooseKey(samples, latencyCandidates(), isDuration);
  if (key === null) return null;
  const lower = (key.base + key.suffix).toLowerCase();
  const values = samples.map((l) => l.get(lower)?.value).filter((v) => v !== undefined);
  const known = key.suffix === '' ? KNOWN_DURATIONS.find((k) => k.key === key.base && (k.certain || samples.some((l) => k.marker?.(l) === true))) : undefined;
  if (known?.unit === 'list') return { key, reading: UPSTREAM_LIST };
  return { key, reading: decideDurationUnit(key.name, key.suffix, known === undefined ? null : { unit: known.unit, by: known.by, certain: known.certain }, values) };
}

function epochNote(samples: readonly ReadonlyMap<string, Leaf>[], time: ChosenKey): string | null {
  const lower = time.path.join('.').toLowerCase();
  for (const leaves of samples) {
    const v = leaves.get(lower)?.value;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? numberFromString(v) : NaN;
    const unit = epochUnit(n);
    if (unit !== null) return `epoch ${UNIT_NAMES[unit]}`;
    if (v !== undefined && !Number.isNaN(timeMs(v))) return null;
  }
  return null;
}

/** Record field → the key it is read from (and the unit), for POST /formats/detect. Unmapped fields are left out. */
export function mappingOf(plan: JsonPlan): Record<string, string> {
  const k = plan.keys;
  const m: Record<string, string> = {};
  const either = (...keys: (string | null | undefined)[]): string => keys.filter((x) => x != null).join(', else ');
  if (plan.dockerLog) m.record = 'log (Docker json-file: the access record is the JSON text in "log")';
  m.timestamp = plan.timeEpoch === null ? plan.time.name : `${plan.time.name} (${plan.timeEpoch})`;
  if (k.status !== null) m.statusCode = k.status.name;
  const request = k.request === null ? null : `${k.request.name} (request line)`;
  if (request !== null || k.method !== null) m.method = either(request, k.method?.name);
  if (request !== null || k.uri !== null) m.endpoint = either(request, k.uri === null ? null : `${k.uri.name} (without the query)`);
  if (request !== null || k.protocol !== null) m.protocol = either(request, k.protocol?.name);
  const parts = k.method !== null || k.uri !== null ? [k.method?.name ?? '-', k.uri === null ? '-' : k.args === null ? k.uri.name : `${k.uri.name}?${k.args.name}`, k.protocol?.name].filter((x) => x !== undefined).join(' ') : null;
  m.message = either(request, parts, 'the whole line');
  if (plan.latency !== null) m.latencyMs = `${plan.latency.key.name} (${plan.latency.reading.note})`;
  if (k.client !== null || k.forwardedFor !== null) m.clientIp = either(k.client?.name, k.forwardedFor === null ? null : `${k.forwardedFor.name} (leftmost)`);
  if (k.bytes !== null) m.bytesSent = k.bytes.name;
  if (k.userAgent !== null) m.userAgent = k.userAgent.name;
  if (k.referer !== null) m.referer = k.referer.name;
  if (k.host !== null) m.host = `${k.host.name} (without the port)`;
  return m;
}

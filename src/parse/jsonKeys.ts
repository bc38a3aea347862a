/**
 * Which JSON key feeds which record field: one table (JSON_KEYS), read case-insensitively with nested
 * objects joined by dots (`request.headers.User-Agent`), and the choice of one key per field from the
 * sample lines. README.md ("JSON access logs") shows the same table.
 */
import type { DurationUnit } from './jsonUnits.js';

export type JsonRole =
  | 'time' | 'client' | 'forwardedFor' | 'request' | 'method' | 'uri' | 'args' | 'protocol'
  | 'status' | 'bytes' | 'latency' | 'userAgent' | 'referer' | 'host';

/**
 * Candidate keys per field, lower case, in order: the first one the sample carries a usable value for
 * wins (a key present only with `-`/`""` is taken when no other is). Sources: nginx variable names
 * (`escape=json` layouts name keys after them), ingress-nginx's documented JSON (`path`, `vhost`,
 * `request_proto`, `request_query`), Caddy (`ts`, `request.*`, `duration`, `size`), Traefik
 * (`StartUTC`, `ClientHost`, `Request*`, `Downstream*`, `Duration`), Envoy/Istio (`start_time`,
 * `response_code`, `authority`, `downstream_remote_address`).
 */
export const JSON_KEYS: Readonly<Record<JsonRole, readonly string[]>> = {
  // StartUTC before `time`: Traefik's `time` is when the line was written, to the second; StartUTC is
  // the request's start to the nanosecond (the time Traefik's own CLF log shows).
  time: ['time_local', 'time_iso8601', '@timestamp', 'timestamp', 'startutc', 'start_time', 'time', 'ts', 'msec', 'startlocal'],
  client: ['remote_addr', 'client_ip', 'clientip', 'remote_ip', 'request.client_ip', 'request.remote_ip', 'clienthost', 'downstream_remote_address'],
  /** Only when the record has no client above (per line): the leftmost address of the list. */
  forwardedFor: ['x_forwarded_for', 'http_x_forwarded_for', 'x-forwarded-for', 'request.headers.x-forwarded-for'],
  /** The request line as logged (`$request`); a string only (Caddy's `request` is an object). */
  request: ['request', 'request_line'],
  method: ['request_method', 'method', 'requestmethod', 'request.method'],
  uri: ['request_uri', 'uri', 'path', 'requestpath', 'request.uri', 'request_path'],
  /** Appended to the uri (`?args`) in the message when the uri has no query of its own. */
  args: ['args', 'query_string', 'request_query', 'query'],
  protocol: ['server_protocol', 'protocol', 'request_proto', 'requestprotocol', 'request.proto'],
  status: ['status', 'status_code', 'downstreamstatus', 'response_code'],
  bytes: ['body_bytes_sent', 'bytes_sent', 'size', 'downstreamcontentsize', 'response_size'],
  /** Bases: each also with a unit suffix (jsonUnits.ts UNIT_SUFFIXES: `duration_ms`, `latencyUs`…). */
  latency: ['request_time', 'request_duration', 'duration', 'latency', 'response_time', 'upstream_response_time'],
  userAgent: ['http_user_agent', 'user_agent', 'useragent', 'request.headers.user-agent', 'request_user-agent'],
  referer: ['http_referer', 'http_referrer', 'referer', 'referrer', 'request.headers.referer', 'request_referer'],
  host: ['host', 'http_host', 'server_name', 'vhost', 'request.host', 'requesthost', 'authority'],
};

/** Client keys whose value carries the client's port (`10.0.0.1:5432`, `[::1]:5432`). */
export const CLIENT_KEYS_WITH_PORT: ReadonlySet<string> = new Set(['downstream_remote_address']);

/**
 * Latency keys whose unit is documented, so values need not tell it. `certain`: the key means this
 * unit whoever writes it; otherwise the unit holds for the producer recognised by `marker`, and only
 * while the sample's values are plausible in it (Caddy can be set to log nanoseconds).
 */
export interface KnownDuration {
  key: string;
  unit: DurationUnit | 'list';
  by: string;
  certain: boolean;
  /** The producer's mark on a record (its leaves by lower-case path). */
  marker?: (leaves: ReadonlyMap<string, Leaf>) => boolean;
}

export const KNOWN_DURATIONS: readonly KnownDuration[] = [
  { key: 'request_time', unit: 's', by: 'nginx $request_time', certain: true },
  { key: 'upstream_response_time', unit: 'list', by: 'nginx', certain: true },
  { key: 'duration', unit: 'ns', by: 'Traefik', certain: false, marker: (l) => l.has('downstreamstatus') },
  { key: 'duration', unit: 'ms', by: 'Envoy %DURATION%', certain: false, marker: (l) => l.has('response_flags') },
  {
    key: 'duration', unit: 's', by: 'Caddy', certain: false,
    marker: (l) => { const v = l.get('logger')?.value; return typeof v === 'string' && v.startsWith('http.log.access'); },
  },
];

/** A value in a record and the path to it, each key as written. */
export interface Leaf {
  path: readonly string[];
  value: unknown;
}

/** Sample records nest at most this deep and have at most this many leaves read (a line is text anyone can shape). */
const MAX_DEPTH = 6;
const MAX_LEAVES = 512;

/** The leaves of a parsed record (scalars and arrays) by lower-case dotted path; the first of equal paths wins. */
export function leavesOf(record: Record<string, unknown>): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  const walk = (obj: Record<string, unknown>, path: string[], lower: string, depth: number): void => {
    for (const key of Object.keys(obj)) {
      if (out.size >= MAX_LEAVES) return;
      const value = obj[key];
      const p = [...path, key];
      const l = lower === '' ? key.toLowerCase() : `${lower}.${key.toLowerCase()}`;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        if (depth < MAX_DEPTH) walk(value as Record<string, unknown>, p, l, depth + 1);
      } else if (!out.has(l)) out.set(l, { path: p, value });
    }
  };
  walk(record, [], '', 1);
  return out;
}

/**
 * The value at `path` (keys as written), or undefined; undefined for the empty path (a field with no
 * key). Paths hold only keys of JSON_KEYS, none of them an Object.prototype name.
 */
export function valueAt(record: unknown, path: readonly string[]): unknown {
  if (path.length === 0) return undefined;
  let v = record;
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[path[i]!];
  }
  return v;
}

/** A chosen key: its path as written and its dotted name (shown in the mapping and in rejection reasons). */
export interface ChosenKey {
  path: readonly string[];
  name: string;
  /** The lower-case table key it matched (`duration` for `Duration_ms`: with the suffix apart). */
  base: string;
  suffix: string;
}

/** `-`, `""` and JSON null mean absent, as `-` does in a layout. */
export function isAbsent(v: unknown): boolean {
  return v === null || v === undefined || v === '' || v === '-';
}

/**
 * The first candidate (in order) that some sample record holds with a value `usable` accepts; else the
 * first one present only with absent values (`-`, `""`, null), so that the mapping still shows it; else
 * null. A candidate holding only values of the wrong kind (`"status": "ok"`) is passed over.
 * `candidates` are [lower-case key, base, suffix].
 */
export function chooseKey(
  samples: readonly ReadonlyMap<string, Leaf>[],
  candidates: readonly (readonly [string, string, string])[],
  usable: (v: unknown) => boolean,
): ChosenKey | null {
  let present: ChosenKey | null = null;
  for (const [key, base, suffix] of candidates) {
    for (const leaves of samples) {
      const leaf = leaves.get(key);
      if (leaf === undefined) continue;
      const chosen = { path: leaf.path, name: leaf.path.join('.'), base, suffix };
      if (isAbsent(leaf.value)) present ??= chosen;
      else if (usable(leaf.value)) return chosen;
    }
  }
  return present;
}

/** [key, key, ''] for each key of a role. */
export function plainCandidates(role: JsonRole): [string, string, string][] {
  return JSON_KEYS[role].map((k) => [k, k, '']);
}

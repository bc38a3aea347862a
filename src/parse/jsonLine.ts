/**
 * One line → one JSON object, or a rejection. `JSON.parse` does the work (V8's parser is iterative and
 * linear); around it: a first-character test so that a plain-text line costs no exception, a nesting
 * bound for long lines, nginx `escape=default` / Apache `\xNN` escapes (not JSON) rewritten as JSON, and
 * Docker's json-file wrapper.
 */
import type { RejectionCode } from '../domain/rejection.js';
import { unescapeLogValue } from './escapes.js';
import { excerpt, failWith, type Failure } from './lineFormat.js';

/**
 * Why a JSON line is rejected: a code of the vocabulary (src/domain/rejection.ts) and, where the code
 * covers several cases, which one (`what`, the start of the detail).
 */
export const JSON_REJECTIONS = {
  notJson: { code: 'not_json', what: 'not a JSON object' },
  malformed: { code: 'not_json', what: 'malformed JSON' },
  tooDeep: { code: 'not_json', what: 'JSON nested too deeply' },
  noTime: { code: 'no_timestamp', what: 'missing' },
  badTime: { code: 'bad_timestamp', what: null },
  badStatus: { code: 'bad_status', what: null },
  badBytes: { code: 'bad_number', what: null },
  badDuration: { code: 'bad_number', what: null },
} as const satisfies Record<string, { code: RejectionCode; what: string | null }>;

export type JsonRejection = (typeof JSON_REJECTIONS)[keyof typeof JSON_REJECTIONS];

export type JsonObject = Record<string, unknown>;

/**
 * Lines up to this many characters are parsed as they are (they nest at most half as deep, which costs
 * nothing); longer ones are first scanned for nesting deeper than MAX_NESTING, so that a 1 MiB line of
 * `[[[[…` is refused in one pass instead of building half a million arrays. Access records nest 3 deep.
 */
const NESTING_CHECK_CHARS = 4096;
const MAX_NESTING = 32;

/** A printable excerpt of a value for a rejection's detail; objects and arrays are named, never serialised. */
export function shown(v: unknown): string {
  if (typeof v === 'string') return excerpt(v, 0, v.length);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? '(an array)' : '(an object)';
}

/** The detail: `key 'excerpt'` for a bad value; `what (key): 'excerpt'` or `what: 'excerpt'` otherwise. */
export function reject(fail: Failure, r: JsonRejection, key: string | null, value: string): null {
  const detail = r.what === null ? `${key ?? ''} '${value}'` : `${r.what}${key === null ? '' : ` (${key})`}: '${value}'`;
  return failWith(fail, r.code, detail, 0);
}

/** The same, as `false` for a check that returns a boolean. */
export function refuse(fail: Failure, r: JsonRejection, key: string, value: string): false {
  reject(fail, r, key, value);
  return false;
}

/** A value read right that cannot be true (fieldBounds.ts): final, no other format is tried. */
export function refuseImplausible(fail: Failure, detail: string): false {
  failWith(fail, 'implausible_value', detail, 0);
  return false;
}

/** The JSON object on a line, or null with `fail` filled in. */
export function parseJsonObject(text: string, fail: Failure): JsonObject | null {
  let p = 0;
  while (p < text.length && (text.charCodeAt(p) === 32 || text.charCodeAt(p) === 9)) p++;
  if (text.charCodeAt(p) !== 123) return reject(fail, JSON_REJECTIONS.notJson, null, excerpt(text, 0, text.length)); // {
  if (text.length > NESTING_CHECK_CHARS && !nestsWithin(text, MAX_NESTING)) return reject(fail, JSON_REJECTIONS.tooDeep, null, excerpt(text, 0, text.length));
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = parseWithHexEscapes(text);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return reject(fail, JSON_REJECTIONS.malformed, null, excerpt(text, 0, text.length));
  return v as JsonObject;
}

/** Docker's json-file driver: `{"log":"<the line>\n","stream":"stdout","time":"…"}`. */
export function isDockerWrapper(o: JsonObject): o is JsonObject & { log: string } {
  return typeof o.log === 'string' && typeof o.stream === 'string';
}

/** False when brackets outside strings nest deeper than `max`. One forward pass. */
function nestsWithin(s: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return false;
    } else if (c === 125 || c === 93) depth--;
  }
  return true;
}

/**
 * nginx `escape=default` writes `"`, `\` and bytes outside printable ASCII as `\xNN` (Apache too), which
 * JSON does not allow: a `log_format` written as JSON without `escape=json` gives such lines. Each run of
 * `\xNN` is decoded as escapes.ts decodes it in a layout (printable ASCII or valid UTF-8; otherwise the
 * escape text stays, now as text) and written back as JSON. Undefined when the line is still not JSON.
 */
function parseWithHexEscapes(text: string): unknown {
  if (!text.includes('\\x')) return undefined;
  let out = '';
  let last = 0;
  let i = text.indexOf('\\');
  while (i !== -1) {
    if (!isHexEscape(text, i)) {
      i = text.indexOf('\\', i + 2); // a JSON escape (`\"`, `\\`): its second character is not a new escape
      continue;
    }
    let j = i + 4;
    while (isHexEscape(text, j)) j += 4;
    out += text.substring(last, i) + JSON.stringify(unescapeLogValue(text, i, j)).slice(1, -1);
    last = j;
    i = text.indexOf('\\', j);
  }
  try {
    return JSON.parse(out + text.substring(last));
  } catch {
    return undefined;
  }
}

function isHexEscape(s: string, i: number): boolean {
  return s.charCodeAt(i) === 92 && s.charCodeAt(i + 1) === 120 && isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3));
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}

/**
 * Route normalisation: a request path → the endpoint as a person names it, so analytics and alerts
 * group `/users/1` and `/users/2` together. Path segments that are identifiers become placeholders
 * (`/api/users/1234/orders/9f3c2a1b` → `/api/users/{id}/orders/{hash}`); static words stay.
 * User rules (segment globs → a template) are tried first; the built-in segment rules apply otherwise.
 */
import { MAX_ROUTE_BYTES } from './fieldBounds.js';

/** A user rule: `pattern` is a path glob, `template` the route given to every path it matches. */
export interface RouteRule {
  pattern: string;
  template: string;
}

/** The longest rule template: 300 UTF-16 units are at most 900 UTF-8 bytes, within MAX_ROUTE_BYTES. */
export const MAX_TEMPLATE_CHARS = 300;
const MAX_PATTERN_CHARS = 300;
/** What ends a route cut at MAX_ROUTE_BYTES: a segment of its own, so cut routes group like others. */
export const ROUTE_CUT_MARKER = '/{…}';
const CUT_MARKER_BYTES = 6;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const HEX = /^[0-9a-f]+$/i;
const TOKEN = /^[A-Za-z0-9_~.=+-]+$/;
const FILE_EXTENSION = /^\.[A-Za-z0-9]{1,8}$/;
const EMAIL = /^[^@/\s]+@[^@/\s]+\.[A-Za-z]{2,}$/;

/**
 * The placeholder for an identifier-like segment, or null for a static word. The order matters:
 * `2026-10-01` is a date before it is a token, `1234` a number before it is hex.
 */
export function segmentPlaceholder(segment: string): string | null {
  const n = segment.length;
  if (n === 0) return null;
  if (isDigits(segment)) return '{id}';
  const dot = segment.indexOf('.');
  // `12345.jpg`, `8812.json`: a numeric name with an extension keeps the extension.
  if (dot > 0 && isDigits(segment.slice(0, dot)) && FILE_EXTENSION.test(segment.slice(dot))) return `{id}${segment.slice(dot)}`;
  if (n === 36 && UUID.test(segment)) return '{uuid}';
  if (n === 10 && DATE.test(segment)) return '{date}';
  // Hex of 6+ characters with both digits and letters: hashes, short git SHAs, object ids (pure
  // letters such as `deadbeef` or `facade` read as words and stay; all digits are an {id} above).
  if (n >= 6 && HEX.test(segment) && /\d/.test(segment) && /[a-f]/i.test(segment)) return '{hash}';
  if (segment.includes('@') && EMAIL.test(segment)) return '{email}';
  // Long random-looking tokens: session ids, base64url keys, signed URLs. Mixed letters and digits;
  // a long word with dashes (`how-to-configure-nginx`) has no digits and stays.
  if (n >= 16 && TOKEN.test(segment) && /\d/.test(segment) && /[A-Za-z]/.test(segment)) return '{token}';
  return null;
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Built-in normalisation of a path (no query string). Scans segment by segment and only looks closer
 * at segments holding a digit or '@' (every placeholder needs one); a path without any placeholder is
 * returned as it is, without building a new string.
 */
export function defaultRoute(path: string): string {
  let out: string | null = null; // built only once a segment changes
  let copied = 0; // path[0, copied) is in `out`
  let start = 0;
  while (start <= path.length) {
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    if (end > start && mayHoldId(path, start, end)) {
      const placeholder = segmentPlaceholder(path.substring(start, end));
      if (placeholder !== null) {
        out = (out ?? '') + path.substring(copied, start) + placeholder;
        copied = end;
      }
    }
    start = end + 1;
  }
  return capRoute(out === null ? path : out + path.substring(copied));
}

/** Every placeholder needs a digit or '@' (a UUID or hash of letters only is too rare to matter). */
function mayHoldId(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 48 && c <= 57) || c === 64) return true;
  }
  return false;
}

/**
 * A route of at most MAX_ROUTE_BYTES in UTF-8 (it is in btree keys: see fieldBounds.ts). A longer one
 * is cut before the last `/` that leaves room for ROUTE_CUT_MARKER: `/files/<5,000 characters>` →
 * `/files/{…}`, so junk paths group by their first segments and no character is split.
 */
export function capRoute(route: string): string {
  if (route.length * 3 <= MAX_ROUTE_BYTES) return route; // a UTF-16 unit is at most 3 bytes
  let bytes = 0;
  let cut = 0;
  for (let i = 0; i < route.length; i++) {
    const c = route.charCodeAt(i);
    if (c === 47 && bytes + CUT_MARKER_BYTES <= MAX_ROUTE_BYTES) cut = i;
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && isLowSurrogate(route.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3; // a lone surrogate is written as U+FFFD, 3 bytes too
    if (bytes > MAX_ROUTE_BYTES) return route.slice(0, cut) + ROUTE_CUT_MARKER;
  }
  return route;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c < 0xe000;
}

/** Thrown for a rule that cannot be compiled; the message names the problem. */
export class RouteRuleError extends Error {}

/** A compiled glob: the pattern's segments, and whether a final `**` takes the rest of the path. */
export interface RoutePattern {
  segments: string[];
  rest: boolean;
}

/**
 * Compiles a glob: `*` matches within one segment (`/blog/*`, `/static/app.*.js`), `**` as the last
 * segment matches the rest of the path (no or more segments). Everything else is literal.
 */
export function compileRoutePattern(pattern: string): RoutePattern {
  if (!pattern.startsWith('/')) throw new RouteRuleError(`pattern must start with '/': '${pattern}'`);
  if (pattern.length > MAX_PATTERN_CHARS) throw new RouteRuleError(`pattern longer than ${MAX_PATTERN_CHARS} characters`);
  const segments = pattern.slice(1).split('/');
  const rest = segments[segments.length - 1] === '**';
  if (rest) segments.pop();
  for (const segment of segments) {
    if (segment.includes('**')) throw new RouteRuleError(`'**' may only be the whole last segment: '${pattern}'`);
  }
  return { segments, rest };
}

/** Does the path (no query string) match the compiled pattern? Time O(path length × pattern length). */
export function matchRoutePattern(p: RoutePattern, path: string): boolean {
  const parts = path.slice(1).split('/');
  // With a final `**` the path may go on (or stop: `/wp-content/**` matches `/wp-content` too).
  if (p.rest ? parts.length < p.segments.length : parts.length !== p.segments.length) return false;
  for (let i = 0; i < p.segments.length; i++) if (!matchGlobSegment(p.segments[i]!, parts[i]!)) return false;
  return true;
}

/**
 * Wildcard match of one segment, `*` matching any run of characters: the greedy two-pointer method,
 * which backtracks only to the last `*` seen, so no input can make it explode (unlike a regular
 * expression such as /^[^/]*a[^/]*a[^/]*a$/ on a long run of `a`).
 */
function matchGlobSegment(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (g < glob.length && glob.charCodeAt(g) !== STAR && glob.charCodeAt(g) === text.charCodeAt(t)) {
      g++;
      t++;
    } else if (g < glob.length && glob.charCodeAt(g) === STAR) {
      star = g++;
      mark = t;
    } else if (star >= 0) {
      g = star + 1;
      t = ++mark;
    } else return false;
  }
  while (g < glob.length && glob.charCodeAt(g) === STAR) g++;
  return g === glob.length;
}

const STAR = 42;

/** Checks a rule as the API and config accept it; throws RouteRuleError. */
export function validateRouteRule(rule: RouteRule): void {
  compileRoutePattern(rule.pattern);
  if (!rule.template.startsWith('/')) throw new RouteRuleError(`template must start with '/': '${rule.template}'`);
  if (rule.template.length > MAX_TEMPLATE_CHARS) throw new RouteRuleError(`template longer than ${MAX_TEMPLATE_CHARS} characters`);
}

const CACHE_ENTRIES = 50_000;

/**
 * Normalises paths with the user's rules (first match wins) and the built-in rules. With user rules
 * a bounded cache saves re-matching the hot paths; the built-in rules alone are cheaper than a lookup.
 */
export class RouteNormaliser {
  private readonly rules: { pattern: RoutePattern; template: string }[];
  private cache = new Map<string, string>();

  constructor(rules: readonly RouteRule[] = []) {
    this.rules = rules.map((r) => {
      validateRouteRule(r);
      return { pattern: compileRoutePattern(r.pattern), template: r.template };
    });
  }

  /** The route of a request path; null for records without one (error-log lines, `-` requests). */
  route(path: string | null): string | null {
    if (path === null) return null;
    // Only origin-form paths are normalised; CONNECT targets and oddities such as `*` stay as they are.
    if (!path.startsWith('/')) return capRoute(path);
    if (this.rules.length === 0) return defaultRoute(path);
    let route = this.cache.get(path);
    if (route !== undefined) return route;
    route = this.rules.find((r) => matchRoutePattern(r.pattern, path))?.template ?? defaultRoute(path);
    if (this.cache.size >= CACHE_ENTRIES) this.cache = new Map(); // cheap reset; refills from the hot paths
    this.cache.set(path, route);
    return route;
  }
}

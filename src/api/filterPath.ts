/**
 * Elasticsearch's `filter_path` (its "response filtering" common option): the fields of an answer to
 * keep, as a comma-separated list of dotted paths; `*` in a path's part matches any characters of a
 * field's name, `**` any number of fields, and a path with a leading `-` removes what it matches
 * instead. Arrays are passed through (`items.*.status` keeps the status of every item). What no path
 * keeps is left out, and so is an object or array left empty; an answer with nothing kept is `{}`.
 *
 * Shippers ask `_bulk` for less with it: Filebeat, Logstash and the OpenTelemetry Collector's exporter
 * send `filter_path=errors,items.*.error,items.*.status`, which answers 5,000 created documents in
 * 130 KB instead of 900 KB.
 */

/** One path, split at its dots: a part is a field's name, a glob of names (`*`), or `**`. */
type Path = readonly (string | RegExp)[];

/** How far into which paths a field's place in the answer has come. */
interface State {
  path: Path;
  at: number;
}

/** Where a field stands against a list of paths: wholly matched by one, on the way to some, or out of all. */
interface Step {
  full: boolean;
  next: State[];
}

const ANY_DEPTH = '**';

export class FilterPath {
  private constructor(
    private readonly include: readonly State[] | null,
    private readonly exclude: readonly State[],
  ) {}

  /** The filter a query asks for (`filter_path`, repeated or comma-separated); undefined when it asks for none. */
  static parse(param: unknown): FilterPath | undefined {
    const text = Array.isArray(param) ? param.filter((p) => typeof p === 'string').join(',') : typeof param === 'string' ? param : '';
    const include: State[] = [];
    const exclude: State[] = [];
    for (const raw of text.split(',')) {
      const spec = raw.trim();
      const negated = spec.startsWith('-');
      const parts = (negated ? spec.slice(1) : spec).split('.').filter((p) => p !== '');
      if (parts.length === 0) continue;
      (negated ? exclude : include).push({ path: parts.map(compilePart), at: 0 });
    }
    if (include.length === 0 && exclude.length === 0) return undefined;
    return new FilterPath(include.length > 0 ? include : null, exclude);
  }

  /** The filter of the fields under `key`: whole when a path keeps all of it, null when nothing under it can be kept. */
  under(key: string): FilterPath | 'whole' | null {
    const inc = this.include === null ? null : step(this.include, key);
    const exc = step(this.exclude, key);
    if (exc.full) return null;
    if (inc !== null && !inc.full && inc.next.length === 0) return null;
    const include = inc === null || inc.full ? null : inc.next;
    if (include === null && exc.next.length === 0) return 'whole';
    return new FilterPath(include, exc.next);
  }

  /** What the filter keeps of a JSON value (objects, arrays, primitives); undefined for nothing. */
  keep(value: unknown): unknown {
    if (Array.isArray(value)) {
      const kept = value.map((v) => this.keep(v)).filter((v) => v !== undefined);
      return kept.length > 0 || (value.length === 0 && this.include === null) ? kept : undefined;
    }
    if (value === null || typeof value !== 'object') return this.include === null ? value : undefined;
    const out: Record<string, unknown> = {};
    let any = false;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const sub = this.under(key);
      const kept = sub === null ? undefined : sub === 'whole' ? v : sub.keep(v);
      if (kept === undefined) continue;
      out[key] = kept;
      any = true;
    }
    return any || (this.include === null && Object.keys(value).length === 0) ? out : undefined;
  }
}

/** Advances each state past a field named `key`: `**` may take it and stay, or take nothing. */
function step(states: readonly State[], key: string): Step {
  const next: State[] = [];
  let full = false;
  const advance = (s: State): void => {
    const part = s.path[s.at];
    if (part === undefined) return;
    if (part === ANY_DEPTH) {
      next.push(s);
      advance({ path: s.path, at: s.at + 1 });
      return;
    }
    if (!(typeof part === 'string' ? part === key : part.test(key))) return;
    if (s.at + 1 === s.path.length) full = true;
    else next.push({ path: s.path, at: s.at + 1 });
  };
  for (const s of states) advance(s);
  // A path ending in `**` matches what it has reached, wholly.
  for (const s of next) if (s.path[s.at] === ANY_DEPTH && s.at + 1 === s.path.length) full = true;
  return { full, next: full ? [] : next };
}

/** A path's part: the name itself, `**`, or a glob of `*` as an anchored pattern. */
function compilePart(part: string): string | RegExp {
  if (part === ANY_DEPTH || !part.includes('*')) return part;
  return new RegExp(`^${part.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
}

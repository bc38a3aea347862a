import { FormatError } from './formatError.js';
import { buildLayout, FieldKind, FieldMode, type FieldSpec, type Layout, type LayoutItem } from './layout.js';

/**
 * Compiles an Apache `LogFormat` (mod_log_config) into a Layout. Accepts `LogFormat "…" nickname`,
 * `CustomLog path "…"`, a quoted string, or the bare format; `\"` is the config file's escaped quote.
 */
export function compileApacheLogFormat(input: string, name = 'custom'): Layout {
  const format = extractFormat(input);
  try {
    const layout = buildLayout(name, withClientFallback(apacheLayoutItems(format)));
    layout.fields.forEach((f, i) => {
      if ((f.kind === FieldKind.TimeAny || f.kind === FieldKind.TimeLocal) && f.label.includes(' ') && layout.modes[i] === FieldMode.Plain) {
        throw new FormatError(`${f.label} writes spaces; enclose it in [ ] or quotes so that its end can be found`);
      }
    });
    return layout;
  } catch (err) {
    if (err instanceof FormatError) throw new FormatError(`LogFormat: ${err.message}`);
    throw err;
  }
}

const LETTERS: Readonly<Record<string, FieldKind>> = {
  a: FieldKind.Client,
  h: FieldKind.Client,
  l: FieldKind.User,
  u: FieldKind.User,
  r: FieldKind.Request,
  m: FieldKind.Method,
  U: FieldKind.Uri,
  q: FieldKind.QueryArgs,
  H: FieldKind.Protocol,
  s: FieldKind.StatusOrDash,
  b: FieldKind.ClfBytes,
  B: FieldKind.BodyBytesOrDash,
  O: FieldKind.TotalBytes,
  D: FieldKind.DurationUs,
  v: FieldKind.Host,
  V: FieldKind.Host,
};

const HEADERS: Readonly<Record<string, FieldKind>> = {
  referer: FieldKind.Referer,
  'user-agent': FieldKind.UserAgent,
  host: FieldKind.Host,
};

/** %t and %{…}t (mod_log_config "Time the request was received"). */
function timeField(param: string | null, label: string): LayoutItem[] {
  if (param === null) return [{ literal: '[' }, { field: { kind: FieldKind.TimeLocal, label } }, { literal: ']' }];
  const fmt = param.replace(/^(begin|end):/, '');
  const kind =
    fmt === 'sec' ? FieldKind.TimeEpochSeconds
    : fmt === 'msec' ? FieldKind.TimeEpochMs
    : fmt === 'usec' ? FieldKind.TimeEpochUs
    : fmt === 'msec_frac' || fmt === 'usec_frac' ? FieldKind.Ignore
    : fmt === '%d/%b/%Y:%H:%M:%S %z' ? FieldKind.TimeLocal
    : FieldKind.TimeAny; // strftime: parsed as time_local, ISO 8601, ctime or epoch shapes
  return [{ field: { kind, label } }];
}

function durationKind(param: string | null): FieldKind {
  if (param === 'ms') return FieldKind.DurationMs;
  if (param === 'us') return FieldKind.DurationUs;
  return FieldKind.WholeSeconds; // %T and %{s}T: Apache writes whole seconds (apr_time_sec), never a fraction
}

function directiveItems(letter: string, param: string | null, label: string): LayoutItem[] {
  if (letter === 't') return timeField(param, label);
  let kind: FieldKind;
  if (letter === 'T') kind = durationKind(param);
  else if (letter === 'i') kind = HEADERS[(param ?? '').toLowerCase()] ?? FieldKind.Ignore;
  else kind = LETTERS[letter] ?? FieldKind.Ignore; // unknown directives are consumed and not stored
  const field: FieldSpec = { kind, label };
  return [{ field }];
}

/** The format string as items. */
export function apacheLayoutItems(format: string): LayoutItem[] {
  const items: LayoutItem[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') items.push({ literal });
    literal = '';
  };
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c === '\\' && i + 1 < format.length) {
      const n = format[i + 1]!;
      literal += n === 'n' ? '\n' : n === 't' ? '\t' : n;
      i += 2;
      continue;
    }
    if (c !== '%') {
      literal += c;
      i++;
      continue;
    }
    if (format[i + 1] === '%') {
      literal += '%';
      i += 2;
      continue;
    }
    const start = i;
    let j = i + 1;
    // Modifiers: < > and status conditions such as %!200,304{Referer}i or %400,501{User-agent}i.
    while (j < format.length && /[<>!0-9,]/.test(format[j]!)) j++;
    let param: string | null = null;
    if (format[j] === '{') {
      const close = format.indexOf('}', j + 1);
      if (close === -1) throw new FormatError(`LogFormat: '{' at column ${j + 1} is never closed`);
      param = format.substring(j + 1, close);
      j = close + 1;
    }
    if (j >= format.length) throw new FormatError(`LogFormat: the format ends inside the directive at column ${start + 1}`);
    let letter = format[j]!;
    if (letter === '^' && j + 2 < format.length) {
      letter = format.substring(j, j + 3); // %^ti, %^to: trailers
      j += 2;
    }
    j++;
    flush();
    items.push(...directiveItems(letter, param, format.substring(start, j)));
    i = j;
  }
  flush();
  return items;
}

function withClientFallback(items: LayoutItem[]): LayoutItem[] {
  if (items.some((it) => 'field' in it && it.field.kind === FieldKind.Client)) return items;
  const xff = items.find((it) => 'field' in it && /^%\{x-forwarded-for\}i$/i.test(it.field.label));
  if (xff !== undefined && 'field' in xff) xff.field = { ...xff.field, kind: FieldKind.ClientOrDash };
  return items;
}

/** The format string from a pasted config line, a quoted string, or the bare format. */
function extractFormat(input: string): string {
  const text = input.trim();
  if (text === '') throw new FormatError('LogFormat: the format is empty');
  const directive = /^(LogFormat|CustomLog|TransferLog)\s/i.test(text);
  if (/^TransferLog\s/i.test(text)) throw new FormatError('LogFormat: TransferLog logs with the LogFormat defined before it; paste that LogFormat line');
  // CustomLog's first argument is the file or pipe (`CustomLog "logs/ssl_request_log" "%t %h …"`): the format follows it.
  const open = directive ? text.indexOf('"', /^CustomLog\s/i.test(text) ? afterFirstArgument(text) : 0) : text[0] === '"' ? 0 : -1;
  if (open === -1) {
    if (directive) throw new FormatError('LogFormat: no quoted format string found (a CustomLog that names a nickname needs the LogFormat line that defines it)');
    return text.replace(/\\"/g, '"');
  }
  // A config-file string: `\"` is a quote inside it, the first bare `"` ends it.
  let out = '';
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '"') {
      out += '\\"';
      i++;
    } else if (c === '"') return out;
    else out += c;
  }
  throw new FormatError('LogFormat: the quoted format string is never closed');
}

/** Where CustomLog's first argument (quoted or bare) ends. */
function afterFirstArgument(text: string): number {
  let i = text.search(/\s/);
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (text[i] !== '"') return text.slice(i).search(/\s|$/) + i;
  const close = text.indexOf('"', i + 1);
  return close === -1 ? text.length : close + 1;
}

import { FormatError } from './formatError.js';

/**
 * A compiled access-log layout: literal text and fields in order, as both nginx `log_format` and
 * Apache `LogFormat` describe lines. The compilers (nginxLogFormat.ts, apacheLogFormat.ts) turn a
 * format string into a Layout; layoutFormat.ts scans lines with it.
 */

/** What a field means for the record. Numeric codes so the scanner dispatches with a switch. */
export const FieldKind = {
  Ignore: 0,
  /** $remote_user, %l, %u: not stored; may be missing altogether (`1.2.3.4 - [date]`), which changes nothing in the record. */
  User: 1,
  /** $remote_addr, %h, %a: never `-` in a real log, so `-` there means another layout (vhost prefix). */
  Client: 2,
  TimeLocal: 3,
  TimeIso: 4,
  /** $msec, %{sec}t: seconds since the epoch, optional fraction. */
  TimeEpochSeconds: 5,
  TimeEpochMs: 6,
  TimeEpochUs: 7,
  TimeAny: 8,
  Request: 9,
  Method: 10,
  Uri: 11,
  /** $args, $is_args, %q: only allowed right after a Uri field, whose value then includes them. */
  QueryArgs: 12,
  Protocol: 13,
  /** nginx $status: always three digits. */
  Status: 14,
  /** Apache %>s: `-` when there is no status. */
  StatusOrDash: 15,
  /** nginx $body_bytes_sent: always digits (a `-` there means another format). */
  BodyBytes: 16,
  /** Apache %b: CLF writes `-` for zero bytes, so `-` → 0. */
  ClfBytes: 17,
  /** Apache %B: body bytes, `-` → null. */
  BodyBytesOrDash: 18,
  /** nginx $bytes_sent, Apache %O: bytes including headers, used when the format has no body-bytes field. */
  TotalBytes: 19,
  /** nginx $request_time, Apache %T / %{s}T: seconds. */
  DurationSeconds: 20,
  DurationMs: 21,
  DurationUs: 22,
  /** nginx $upstream_response_time: a list, summed; latency only when the format has no request time. */
  UpstreamSeconds: 23,
  Referer: 24,
  UserAgent: 25,
  Host: 26,
  /** A client taken from X-Forwarded-For when the format has no $remote_addr / %h: `-` means none. */
  ClientOrDash: 27,
  /**
   * nginx $request_time in a preset: seconds with exactly three decimals, as nginx always writes it
   * (`%T.%03M`, ngx_http_log_module). Anything else (`21`, `0.5`) is not an nginx timing, so the line
   * belongs to another layout (Apache %T, %D, %I %O…).
   */
  NginxSeconds: 28,
  /** Apache %T / %{s}T: whole seconds, always an integer (Apache truncates). */
  WholeSeconds: 29,
  /** An X-Forwarded-For list in a preset: addresses or `-`, never a timing (`"0.318"` is $upstream_response_time). */
  ForwardedFor: 30,
  /** A number stored nowhere (Traefik's request counter): digits, which tells where the quoted field before it ends. */
  IgnoreNumber: 31,
  /** nginx $pipe in a preset: `p` (pipelined) or `.`, stored nowhere; anything else is another layout's field. */
  Pipe: 32,
} as const;
export type FieldKind = (typeof FieldKind)[keyof typeof FieldKind];

const TIME_KINDS: ReadonlySet<FieldKind> = new Set([
  FieldKind.TimeLocal,
  FieldKind.TimeIso,
  FieldKind.TimeEpochSeconds,
  FieldKind.TimeEpochMs,
  FieldKind.TimeEpochUs,
  FieldKind.TimeAny,
]);

const NUMERIC_KINDS: ReadonlySet<FieldKind> = new Set([
  FieldKind.Status,
  FieldKind.StatusOrDash,
  FieldKind.BodyBytes,
  FieldKind.ClfBytes,
  FieldKind.BodyBytesOrDash,
  FieldKind.TotalBytes,
  FieldKind.DurationSeconds,
  FieldKind.DurationMs,
  FieldKind.DurationUs,
  FieldKind.UpstreamSeconds,
  FieldKind.NginxSeconds,
  FieldKind.WholeSeconds,
  FieldKind.IgnoreNumber,
]);

export function isNumericKind(kind: FieldKind): boolean {
  return NUMERIC_KINDS.has(kind);
}

export interface FieldSpec {
  kind: FieldKind;
  /** As written in the format (`$status`, `%>s`), for rejection reasons. */
  label: string;
  /** nginx upstream variables hold lists joined by `, ` and ` : `; the field does not end inside them. */
  listValued?: boolean;
}

export type LayoutItem = { literal: string } | { field: FieldSpec };

/** How the scanner finds the end of a field, decided from the literals around it. */
export const FieldMode = { Plain: 0, Quoted: 1, Bracketed: 2 } as const;
export type FieldMode = (typeof FieldMode)[keyof typeof FieldMode];

export interface Layout {
  name: string;
  /** Literal text before the first field. */
  lead: string;
  fields: FieldSpec[];
  /** seps[i] is the literal after fields[i]; '' when the format ends with that field. */
  seps: string[];
  modes: FieldMode[];
  /** Fields from this index on may be absent when the line ends (optional tail of a preset). */
  requiredFields: number;
  /** How much of seps[requiredFields - 1] must still be there when the optional tail is absent. */
  requiredSepChars: number;
  /** Text after the end of the layout: rejected, or ignored when it starts with a space (presets for appended fields). */
  trailing: 'reject' | 'ignore';
  /** nginx `escape=json`: values escaped as JSON strings. */
  json: boolean;
}

export interface LayoutOptions {
  json?: boolean;
  trailing?: 'reject' | 'ignore';
  /** Items from this index on form an optional tail (see Layout.requiredFields). */
  optionalFrom?: number;
}

/** Checks and freezes a list of items into a Layout. Throws FormatError when lines could not be parsed with it. */
export function buildLayout(name: string, items: LayoutItem[], opts: LayoutOptions = {}): Layout {
  let lead = '';
  const fields: FieldSpec[] = [];
  const seps: string[] = [];
  let requiredFields = -1;
  let requiredSepChars = 0;
  items.forEach((item, index) => {
    if (index === opts.optionalFrom) {
      requiredFields = fields.length;
      requiredSepChars = fields.length === 0 ? lead.length : seps[fields.length - 1]!.length;
    }
    if ('literal' in item) {
      if (fields.length === 0) lead += item.literal;
      else seps[fields.length - 1] += item.literal;
      return;
    }
    const prev = fields[fields.length - 1];
    if (prev !== undefined && seps[fields.length - 1] === '') {
      if (item.field.kind === FieldKind.QueryArgs && prev.kind === FieldKind.Uri) return;
      throw new FormatError(
        `${prev.label} and ${item.field.label} have no text between them, so their values cannot be told apart`,
      );
    }
    if (item.field.kind === FieldKind.QueryArgs) {
      throw new FormatError(`${item.field.label} must follow the URI directly (as in $uri$is_args$args or %U%q)`);
    }
    fields.push(item.field);
    seps.push('');
  });
  if (fields.length === 0) throw new FormatError('the format has no fields');
  // Lines are scanned with trailing spaces trimmed, so a format's trailing spaces cannot be required.
  seps[seps.length - 1] = seps[seps.length - 1]!.trimEnd();
  if (!fields.some((f) => TIME_KINDS.has(f.kind))) {
    throw new FormatError('the format has no time field, and every record needs a timestamp');
  }
  const modes = fields.map((_, i) => fieldMode(i === 0 ? lead : seps[i - 1]!, seps[i]!));
  return {
    name,
    lead,
    fields,
    seps,
    modes,
    requiredFields: requiredFields < 0 ? fields.length : requiredFields,
    requiredSepChars,
    trailing: opts.trailing ?? 'reject',
    json: opts.json ?? false,
  };
}

function fieldMode(before: string, after: string): FieldMode {
  const open = before.charAt(before.length - 1);
  const close = after.charAt(0);
  if ((open === '"' || open === "'") && close === open) return FieldMode.Quoted;
  if ((open === '[' && close === ']') || (open === '{' && close === '}') || (open === '(' && close === ')')) {
    return FieldMode.Bracketed;
  }
  return FieldMode.Plain;
}

import { FormatError } from './formatError.js';
import { buildLayout, FieldKind, type FieldSpec, type Layout, type LayoutItem } from './layout.js';

/**
 * Compiles an nginx `log_format` (ngx_http_log_module) into a Layout. Accepts the whole directive as
 * pasted from nginx.conf — `log_format main escape=json '$remote_addr …' '…';` with its quoted parts
 * concatenated — or just the format string.
 */
export function compileNginxLogFormat(input: string, name = 'custom'): Layout {
  const { format, escape } = extractFormat(input);
  try {
    return buildLayout(name, withClientFallback(nginxLayoutItems(format)), { json: escape === 'json' });
  } catch (err) {
    if (err instanceof FormatError) throw new FormatError(`log_format: ${err.message}`);
    throw err;
  }
}

const VARIABLES: Readonly<Record<string, FieldKind>> = {
  remote_addr: FieldKind.Client,
  realip_remote_addr: FieldKind.Client,
  remote_user: FieldKind.User,
  time_local: FieldKind.TimeLocal,
  time_iso8601: FieldKind.TimeIso,
  msec: FieldKind.TimeEpochSeconds,
  request: FieldKind.Request,
  request_method: FieldKind.Method,
  request_uri: FieldKind.Uri,
  uri: FieldKind.Uri,
  document_uri: FieldKind.Uri,
  is_args: FieldKind.QueryArgs,
  args: FieldKind.QueryArgs,
  query_string: FieldKind.QueryArgs,
  server_protocol: FieldKind.Protocol,
  status: FieldKind.Status,
  body_bytes_sent: FieldKind.BodyBytes,
  bytes_sent: FieldKind.TotalBytes,
  request_time: FieldKind.DurationSeconds,
  upstream_response_time: FieldKind.UpstreamSeconds,
  http_referer: FieldKind.Referer,
  http_user_agent: FieldKind.UserAgent,
  host: FieldKind.Host,
  http_host: FieldKind.Host,
  server_name: FieldKind.Host,
};

/** Proxy-chain variables: stored nowhere, but they serve as the client when the format has no $remote_addr. */
const FORWARDED_FOR = new Set(['http_x_forwarded_for', 'proxy_add_x_forwarded_for', 'http_x_real_ip']);

function variableField(name: string): FieldSpec {
  const field: FieldSpec = { kind: VARIABLES[name] ?? FieldKind.Ignore, label: `$${name}` };
  // nginx joins the values of every upstream tried with ", " and " : " (ngx_http_upstream_*_variable).
  if (name.startsWith('upstream_')) field.listValued = true;
  return field;
}

/** The format string as items; unknown variables become ignored fields (consumed, not stored). */
export function nginxLayoutItems(format: string): LayoutItem[] {
  const items: LayoutItem[] = [];
  let literal = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if (c !== '$') {
      literal += c;
      i++;
      continue;
    }
    let name: string;
    if (format[i + 1] === '{') {
      const close = format.indexOf('}', i + 2);
      if (close === -1) throw new FormatError(`log_format: '\${' at column ${i + 1} is never closed`);
      name = format.substring(i + 2, close);
      i = close + 1;
    } else {
      let j = i + 1;
      while (j < format.length && /[A-Za-z0-9_]/.test(format[j]!)) j++;
      name = format.substring(i + 1, j);
      i = j;
    }
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new FormatError(`log_format: invalid variable name '${name}' after '$'`);
    if (literal !== '') items.push({ literal });
    literal = '';
    items.push({ field: variableField(name) });
  }
  if (literal !== '') items.push({ literal });
  return items;
}

function withClientFallback(items: LayoutItem[]): LayoutItem[] {
  if (items.some((it) => 'field' in it && it.field.kind === FieldKind.Client)) return items;
  const xff = items.find((it) => 'field' in it && FORWARDED_FOR.has(it.field.label.substring(1)));
  if (xff !== undefined && 'field' in xff) xff.field = { ...xff.field, kind: FieldKind.ClientOrDash };
  return items;
}

type Escape = 'default' | 'json' | 'none';

/** The format string and escape mode from a pasted directive, quoted parts, or a bare string. */
function extractFormat(input: string): { format: string; escape: Escape } {
  const text = input.trim();
  if (text === '') throw new FormatError('log_format: the format is empty');
  const directive = /^log_format(\s|$)/.test(text);
  if (!directive && text[0] !== "'" && text[0] !== '"') return { format: text, escape: 'default' };
  const tokens = tokenize(text);
  let escape: Escape = 'default';
  let k = 0;
  if (directive) {
    k = 2;
    if (tokens.length < 3 || tokens[1]!.quoted) throw new FormatError('log_format: expected `log_format name [escape=…] \'format\' …;`');
    const esc = tokens[2]!;
    if (!esc.quoted && esc.text.startsWith('escape=')) {
      const mode = esc.text.substring(7);
      if (mode !== 'default' && mode !== 'json' && mode !== 'none') {
        throw new FormatError(`log_format: escape must be default, json or none, not '${mode}'`);
      }
      escape = mode;
      k = 3;
    }
  }
  const parts = tokens.slice(k);
  if (parts.length === 0) throw new FormatError('log_format: the directive has no format string');
  return { format: parts.map((t) => t.text).join(''), escape };
}

interface Token {
  text: string;
  quoted: boolean;
}

/** nginx.conf tokens up to the closing `;`: quoted strings keep `\"`, `\'`, `\\`, `\t`, `\n` escapes as nginx reads them. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === ';') {
      if (text.substring(i + 1).trim() !== '') throw new FormatError(`log_format: unexpected text after ';' at column ${i + 2}`);
      break;
    } else if (c === "'" || c === '"') {
      let out = '';
      let j = i + 1;
      for (; j < text.length && text[j] !== c; j++) {
        const ch = text[j]!;
        const nx = text[j + 1];
        if (ch === '\\' && nx !== undefined && `"'\\tnr`.includes(nx)) {
          out += nx === 't' ? '\t' : nx === 'n' ? '\n' : nx === 'r' ? '\r' : nx;
          j++;
        } else out += ch;
      }
      if (j >= text.length) throw new FormatError(`log_format: the string opened with ${c} at column ${i + 1} is never closed`);
      tokens.push({ text: out, quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s;'"]/.test(text[j]!)) j++;
      tokens.push({ text: text.substring(i, j), quoted: false });
      i = j;
    }
  }
  return tokens;
}

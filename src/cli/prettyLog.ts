/**
 * Turns pino's JSON lines into lines a person reads on a terminal (LOG_FORMAT=pretty):
 *
 *   13:05:42 INFO  GET /logs?q=x 200 12 ms
 *   13:05:42 WARN  AUTH_DISABLED=true: every request is served without an API key …
 *   13:05:43 ERROR unhandled error: relation "x" does not exist
 *       error: relation "x" does not exist
 *           at …
 *
 * Times are UTC, as everywhere else in Log Insights. A completed request is one line (method, URL,
 * status, duration); an error's stack and the start-up summary (the `startup` field) follow on indented
 * lines; any other field is appended as key=value, so nothing a JSON line carries is lost.
 */

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** ANSI colours for a terminal: problems stand out, chatter recedes. */
const COLOURS: Record<string, string> = { TRACE: '2', DEBUG: '2', WARN: '33', ERROR: '31', FATAL: '31;1' };
/** Fields shown elsewhere in the line, or the same on every line (pino's base). */
const SHOWN = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname', 'reqId', 'err', 'startup']);
const INDENT = '    ';

export interface PrettyOptions {
  /** ANSI colours on the level name (for a terminal). */
  colour?: boolean;
}

type Fields = Record<string, unknown>;

/** One JSON log line (with or without its newline) → the text to print, ending in a newline. */
export function formatLogLine(line: string, opts: PrettyOptions = {}): string {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`; // not pino's: printed as it came
  }
  if (!isObject(event)) return `${line.trimEnd()}\n`;
  const level = LEVELS[Number(event.level)] ?? `L${String(event.level)}`;
  const shownLevel = opts.colour && COLOURS[level] ? `\x1b[${COLOURS[level]}m${level.padEnd(5)}\x1b[0m` : level.padEnd(5);
  const head = [clock(event.time), shownLevel, describe(event)].filter(Boolean).join(' ');
  return [head, ...errorLines(event.err), ...startupLines(event.startup)].join('\n') + '\n';
}

/** HH:MM:SS (UTC) from pino's ISO time, or from epoch milliseconds (pino's default). */
function clock(time: unknown): string {
  if (typeof time === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(time)) return time.slice(11, 19);
  if (typeof time === 'number') return new Date(time).toISOString().slice(11, 19);
  return '';
}

/** A request line, or the message; then the fields not shown otherwise. */
function describe(event: Fields): string {
  const request = requestLine(event);
  if (request !== undefined) return [request, ...otherFields(event, ['req', 'res', 'responseTime'])].join(' ');
  return [messageText(event), ...otherFields(event, [])].filter(Boolean).join(' ');
}

/** The message, and an error's own message when it adds something. */
function messageText(event: Fields): string {
  const msg = typeof event.msg === 'string' ? event.msg : '';
  const errMessage = isObject(event.err) && typeof event.err.message === 'string' ? event.err.message : '';
  if (!errMessage || msg.includes(errMessage)) return msg;
  return msg ? `${msg}: ${errMessage}` : errMessage;
}

/** Fastify's finished request (see api/requestLog.ts): `GET /logs?q=x 200 12 ms`. */
function requestLine(event: Fields): string | undefined {
  const { req, res, responseTime } = event;
  if (!isObject(req) || !isObject(res) || typeof req.method !== 'string' || typeof req.url !== 'string') return undefined;
  const duration = typeof responseTime === 'number' ? ` ${Math.round(responseTime)} ms` : '';
  const failed = event.msg === 'request completed' ? '' : ` ${messageText(event)}`;
  return `${req.method} ${req.url} ${String(res.statusCode)}${duration}${failed}`.trimEnd();
}

function otherFields(event: Fields, skip: string[], shown = SHOWN): string[] {
  return Object.entries(event)
    .filter(([key, value]) => !shown.has(key) && !skip.includes(key) && value !== undefined)
    .map(([key, value]) => `${key}=${shownValue(value)}`);
}

function shownValue(value: unknown): string {
  if (typeof value === 'string') return value === '' || /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** An error's other fields (code, …) and its stack (pino's err serialiser includes causes), indented under its line. */
function errorLines(err: unknown): string[] {
  if (!isObject(err)) return [];
  const extra = otherFields(err, ['type', 'message', 'stack'], new Set());
  const stack = typeof err.stack === 'string' ? err.stack.split('\n') : [];
  return [...(extra.length ? [extra.join(' ')] : []), ...stack].map((l) => `${INDENT}${l.trimEnd()}`);
}

/** The start-up summary as aligned `label  value` lines. */
function startupLines(startup: unknown): string[] {
  if (!isObject(startup)) return [];
  const rows = Object.entries(startup).map(([key, value]) => [key.replace(/_/g, ' '), Array.isArray(value) ? value.join(', ') : String(value)] as const);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${INDENT}${label.padEnd(width)}  ${value}`);
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The header of one syslog message: who sent it (the TAG or APP-NAME, which becomes the record's
 * source) and its MSG (the log line, parsed later with the source's format). Two shapes:
 *
 * - RFC 5424: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]`,
 *   each header field `-` when absent; STRUCTURED-DATA is `-` or `[id name="value" …]…`, values
 *   escaping `"`, `\` and `]` with a backslash. A MSG that begins with a UTF-8 BOM loses it.
 * - RFC 3164 (BSD), what nginx, logger and most forwarders send: `<PRI>TIMESTAMP HOSTNAME TAG: MSG`, the
 *   TIMESTAMP `Mmm dd hh:mm:ss` (or RFC 3339, rsyslog's high-precision forward format), the HOSTNAME
 *   sometimes left out, the TAG with an optional `[pid]`. Without a TAG (no colon) the content after
 *   the HOSTNAME is the MSG (RFC 3164 section 5.4's "Use the BFG!").
 *
 * Hand-written: the npm parsers looked at either do not keep the MSG intact (nsyslog-parser 0.10.1
 * reads an RFC 5424 MSG that contains `[a b="c"]` as structured data and cuts it, and trims every
 * MSG) or are unmaintained. Tested with the RFCs' examples (syslogMessage.test.ts).
 */
/** A message's header, read from its bytes: the MSG is the bytes from `messageStart` on (a UTF-8 BOM skipped). */
export interface SyslogHeader {
  /** PRI: facility × 8 + severity; null without one (a bare line). */
  pri: number | null;
  /** TAG (RFC 3164) or APP-NAME (RFC 5424), without a `[pid]`; null when absent. */
  app: string | null;
  /** HOSTNAME; null when absent. */
  host: string | null;
  /** Where the MSG, the log line as the sender wrote it, begins: a byte offset. */
  messageStart: number;
}

const PRI = /^<(\d{1,3})>/;
const RFC5424_VERSION = /^[1-9]\d{0,1} /;
const BSD_TIMESTAMP = /^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} /;
const RFC3339_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\S+ /;
/** TAG: up to 48 characters of no space, colon or bracket (RFC 3164 says 32; senders write longer), an optional [pid], a colon. */
const TAG = /^([^\s:[\]]{1,48})(\[[^\]\s]{0,32}\])?:/;
/** A UTF-8 byte order mark, read as latin1 (one character per byte). */
const BOM = '\xEF\xBB\xBF';

/**
 * Reads the header of one message (without framing). Never throws: what cannot be read as a header is
 * the MSG. The MSG stays bytes: a live input journals them as they came, and the parse decodes them as
 * it decodes an uploaded file's. The header is read from the bytes as latin1, one character per byte,
 * so a position in it is a byte offset; the host and app names are decoded as UTF-8.
 */
export function readSyslogHeader(raw: Buffer): SyslogHeader {
  const text = raw.toString('latin1');
  const h = header(text);
  return { pri: h.pri, app: utf8Name(h.app), host: utf8Name(h.host), messageStart: h.messageStart };
}

/** A name read as latin1 → its UTF-8 reading (ASCII, the usual case, is the same). */
function utf8Name(name: string | null): string | null {
  return name === null || /^[\x00-\x7f]*$/.test(name) ? name : Buffer.from(name, 'latin1').toString('utf8');
}

function header(text: string): SyslogHeader {
  const pri = PRI.exec(text);
  if (!pri || Number(pri[1]) > 191) return { pri: null, app: null, host: null, messageStart: 0 };
  const at = pri[0].length;
  const priValue = Number(pri[1]);
  if (RFC5424_VERSION.test(text.slice(at, at + 4))) return rfc5424(priValue, text, text.indexOf(' ', at) + 1) ?? bsd(priValue, text, at);
  return bsd(priValue, text, at);
}

/** From `i`, after `VERSION SP`. Null when the header does not have RFC 5424's fields. */
function rfc5424(pri: number, s: string, i: number): SyslogHeader | null {
  const fields: string[] = [];
  // TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID: non-space tokens, one space after each.
  for (let n = 0; n < 5; n++) {
    const end = s.indexOf(' ', i);
    if (end <= i) return null;
    fields.push(s.slice(i, end));
    i = end + 1;
  }
  if (s[i] === '-') {
    i++;
  } else {
    if (s[i] !== '[') return null;
    while (s[i] === '[') {
      const end = sdElementEnd(s, i);
      if (end < 0) return null;
      i = end + 1;
    }
  }
  let messageStart = s.length;
  if (i < s.length) {
    if (s[i] !== ' ') return null;
    messageStart = s.startsWith(BOM, i + 1) ? i + 1 + BOM.length : i + 1;
  }
  const nil = (v: string): string | null => (v === '-' ? null : v);
  return { pri, host: nil(fields[1]!), app: nil(fields[2]!), messageStart };
}

/** The index of the `]` that closes the SD-ELEMENT opening at `start`: outside a quoted value, not escaped. */
function sdElementEnd(s: string, start: number): number {
  let quoted = false;
  for (let i = start + 1; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ']') {
      return i;
    }
  }
  return -1;
}

/** From `at`, after the PRI. */
function bsd(pri: number, s: string, at: number): SyslogHeader {
  const rest = s.slice(at);
  const timestamp = BSD_TIMESTAMP.exec(rest) ?? RFC3339_TIMESTAMP.exec(rest);
  // Without a timestamp the relay's rule (RFC 3164 4.3.2) would add one; the content is the message.
  if (!timestamp) return withTag(pri, null, s, at);
  at += timestamp[0].length;
  // The HOSTNAME, unless the next token is already the TAG (a sender that leaves the host out).
  const afterTimestamp = s.slice(at);
  const first = /^(\S+) /.exec(afterTimestamp);
  if (first && !TAG.test(afterTimestamp)) return withTag(pri, first[1]!, s, at + first[0].length);
  return withTag(pri, null, s, at);
}

function withTag(pri: number, host: string | null, s: string, at: number): SyslogHeader {
  const tag = TAG.exec(s.slice(at, at + 100));
  if (!tag) return { pri, host, app: null, messageStart: at };
  let messageStart = at + tag[0].length;
  // One space separates the TAG's colon from the content; more belong to the content.
  if (s[messageStart] === ' ') messageStart++;
  return { pri, host, app: tag[1]!, messageStart };
}

/**
 * Hostile and broken input (issue 5): property-based tests that throw random and mutated log lines at
 * the parse layer. Three properties:
 *   1. a parse never throws — every line gives a record or a rejection with a short reason;
 *   2. a parse never hangs — 1 MiB lines of adversarial characters finish in linear time, for every
 *      preset, auto-detection, custom log_format / LogFormat layouts and their compilers, and framing;
 *   3. every line of a spool file ends ingested, rejected (with a reason and its line number) or
 *      skipped (blank), whatever was done to its bytes.
 * Mutations start from real lines: the samples below, and the public logs in ../shared/data when present.
 * `npm run soak` (SOAK) runs the same properties with many more runs and bigger inputs.
 */
import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readBinaryCopy } from '../../test/helpers/binaryCopy.js';
import { hasSharedData, sharedFile, SOAK } from '../../test/helpers/env.js';
import { LOG_LEVELS, type LogRecord, type ParseResult } from '../domain/record.js';
import { isRejectionCode, REJECTION_REASONS } from '../domain/rejection.js';
import { LOG_COPY_COLUMNS, REJECT_COPY_COLUMNS, type BatchMessage } from '../ingest/batch.js';
import { parseSpoolFile } from '../ingest/parseSpoolFile.js';
import { compileApacheLogFormat, compileNginxLogFormat, createRecordParser, FormatError, LineFramer, RecordAssembler, type FramedLine } from './index.js';
import { LayoutFormat } from './layoutFormat.js';
import { newFailure, type LineFormat } from './lineFormat.js';
import { PRESETS } from './presets.js';
import { RouteNormaliser } from './routes.js';
import { syslogPrefixLength } from './syslog.js';
import { decodeLogBytes } from './utf8.js';

/** Run counts and sizes: the normal run stays within seconds, `npm run soak` goes long. */
const RUNS = {
  lines: SOAK ? 10_000 : 300,
  formats: SOAK ? 5_000 : 200,
  framing: SOAK ? 3_000 : 100,
  files: SOAK ? 600 : 25,
  hugeLines: SOAK ? 40 : 1,
};
const MAX_FILE_LINES = SOAK ? 600 : 60;
/** The longest field a mutation inserts (see LONG_UNITS). */
const MAX_LONG_FIELD = SOAK ? 200_000 : 4_000;
const MIB = 1 << 20;
/**
 * Budget for one 1 MiB line through one parser. Linear code does such a line in milliseconds to a few
 * hundred (the compilers, which build strings a character at a time, are the slowest); catastrophic
 * backtracking or a quadratic scan takes minutes or hours. So the bound is set far above anything a
 * loaded two-core CI machine can cause and fails only on a real super-linear bug; it is not a
 * performance benchmark (that is bench/).
 */
const HUGE_LINE_BUDGET_MS = 5_000;
/** A rejection's detail is read by a person and stored per line: short, never an echo of the line. */
const MAX_REASON_CHARS = 300;
const SLOW_TEST_MS = SOAK ? 3_600_000 : 120_000;

// ---------------------------------------------------------------------------------------------------
// Seed lines: real lines of every format (from real logs, shortened), grouped as a file would hold them.

const SEED_GROUPS: Record<string, string[]> = {
  nginx: [
    '93.180.71.3 - - [17/May/2015:08:05:32 +0000] "GET /downloads/product_1 HTTP/1.1" 304 0 "-" "Debian APT-HTTP/1.3 (0.8.16~exp12ubuntu10.21)"',
    '10.0.0.2, 10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /search?q=caf%C3%A9 HTTP/2.0" 200 5120 "https://example.com/a?b=c" "Mozilla/5.0 \\x22quoted\\x22 \\xD0\\x91"',
    '0.0.0.0 - - [04/Oct/2022:04:34:49 +0000] "" 400 0 "" ""',
    '2001:db8::1 - alice [10/Oct/2000:13:55:36 +0200] "\\x16\\x03\\x01\\x00t\\x01" 400 157 "-" "-"',
    '172.24.0.3 - - [31/Dec/2024:17:32:06 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/8.11.1" "1.2.3.4, 10.10.1.1"',
    '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "POST /api/v1/items HTTP/1.1" 502 166 "-" "okhttp/4.9" 0.050 0.049, 0.001 : 0.002',
    '0.0.0.0 - - [18/Mar/2023:15:00:00 +0000] "GET /some/path HTTP/2.0" 200 12312 "https://10.0.0.1/r" "Mozilla/5.0 (X11)" 462 0.050 [svc-9000] [] 10.0.50.80:9000 19437 0.049 200 752178adb17130b291aefd8c386279e7',
    'example.com 10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/1.1" 404 10 "-" "curl/8" "-"',
    '[10/Oct/2000:13:55:36 +0000] example.com 10.0.0.1 0.005 "GET / HTTP/2.0" 200 512 800 - Mozilla/5.0',
  ],
  apache: [
    '127.0.0.1 bob frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    '192.168.2.20 - - [28/Jul/2006:10:27:10 -0300] "GET /cgi-bin/try/?config[\\"x\\"]=1 HTTP/1.0" 200 - "-" "Mozilla/4.08 [en] (Win98; I ;Nav)" 1234',
    'example.com:443 10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 10 "-" "curl" 52',
    '[10/Oct/2000:13:55:36 -0700] 10.0.0.1 TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 "GET /x HTTP/1.1" 1024',
    '83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1)" 0',
    '10.1.10.51 - - [23/Aug/2010:03:50:59 +0000] "POST /exec/ HTTP/1.1" 200 - "-" "-" gzip 1.5',
  ],
  nginxError: [
    '2021/04/01 13:02:31 [error] 31#31: *1 open() "/usr/share/nginx/html/not-found" failed (2: No such file or directory), client: 172.17.0.1, server: localhost, request: "POST /not-found HTTP/1.1", host: "localhost:8081"',
    '2026/10/10 13:55:37 [error] 1234#0: *2 FastCGI sent in stderr: "PHP message: PHP Warning: one',
    'PHP message: PHP Warning: two',
    'PHP message: PHP Warning: three" while reading response header from upstream, client: 10.0.0.2, server: a, request: "GET /y HTTP/1.1", referrer: "http://a/"',
    '2026/10/10 13:55:39 [crit] 1234#0: *4 SSL_do_handshake() failed, client: 10.0.0.4, server: 0.0.0.0:443',
    '2016/10/25 14:49:34 [warn] 54053#0: signal process started',
  ],
  apacheError: [
    '[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server configuration: /export/home/live/ap/htdocs/test',
    '[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:5678] File does not exist: /usr/local/apache2/htdocs/favicon.ico',
    '[Thu Jun 27 11:55:44.569531 2013] [core:info] [pid 4101:tid 2992634688] (70007)The timeout specified has expired: [client 192.0.2.12:46652] AH00573: x, referer: http://a/',
    '[01/Mar/2021:12:00:19 +0000] [ab:alert] [pid 4803:tid 3814] [client eda7:35d:3ceb:ef1e:2133:e7bf:116e:24cc:24259] text',
  ],
  syslog: [
    'Sep 15 16:13:46 host nginx[2869]: 81.150.104.130 - - [15/Sep/2021:16:13:46 +0000] "POST /wp-login.php HTTP/1.1" 200 5364 "-" "Mozilla/5.0"',
    '<134>2021-09-15T16:13:46.123+00:00 web nginx: 2021/09/15 16:13:46 [error] 1#1: *1 x, client: 1.2.3.4, server: a',
    'host nginx[23141]: host nginx: 192.0.2.1 - - [15/Sep/2021:16:13:46 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',
  ],
};

/** Public logs used as further seeds when ../shared/data is present (read, never copied). */
const SHARED_SEED_FILES = [
  'vector-vrl/apache_common_combined.log', 'vector-vrl/apache_error.log', 'vector-vrl/nginx_combined.log', 'vector-vrl/nginx_error.log',
  'vector-vrl/nginx_ingress_upstreaminfo.log', 'vector-vrl/nginx_main.log', 'elastic-beats/nginx-access-test.log',
  'elastic-beats/apache-error-test.log', 'elastic-beats/apache-access-ssl-request.log', 'elastic-beats/nginx-error-error.log',
  'lnav/format_samples_access_log.txt', 'lnav/format_samples_error_log.txt', 'fail2ban/nginx-bad-request.log',
  'fail2ban/nginx-http-auth.log', 'crowdsec-hub/nginx-http-malformed__nginx_http-logs.log', 'crowdsec-hub/apache2-malformed__apache2-logs.log',
  'crowdsec-hub/http-bf-wordpress-bf__http-bf-wordpress-bf.log', 'crowdsec-hub/apache-http-probing__apache-http-probing.log',
  'crowdsec-hub/nginx-mail-logs__nginx-mail-logs.log', 'logstash-patterns-core/httpd_spec_lines.log', 'elastic-examples/apache_logs',
];

/** Seed files as byte lines, one group per file (the file-level property mutates one group at a time). */
function seedFiles(): Buffer[][] {
  const groups: Buffer[][] = Object.values(SEED_GROUPS).map((lines) => lines.map((l) => Buffer.from(l)));
  if (!hasSharedData) return groups;
  for (const rel of SHARED_SEED_FILES) {
    const file = sharedFile(rel);
    if (!fs.existsSync(file)) continue;
    const lines = splitLines(fs.readFileSync(file)).filter((l) => l.length > 0).slice(0, 60);
    if (lines.length > 0) groups.push(lines);
  }
  return groups;
}

/** The lines of a file as the framer splits them: on '\n', one trailing '\r' kept (the model below strips it). */
function splitLines(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const nl = bytes.indexOf(10, i);
    if (nl === -1) {
      if (i < bytes.length) out.push(bytes.subarray(i));
      return out;
    }
    out.push(bytes.subarray(i, nl));
    i = nl + 1;
  }
}

const FILES = seedFiles();
const SEEDS = FILES.flat();

// ---------------------------------------------------------------------------------------------------
// Mutations of a line's bytes.

/** What a mutation inserts: the characters the scanners look for, broken encodings, control bytes. */
const INSERTS: readonly Buffer[] = [
  ...['"', '\\', '\\"', '\\\\', '\\x', '\\x2', '\\x22', '\\xE2\\x82', '\\u00', '\\ud800', '[', ']', '[]', ' ', '   ', '-', ' - ', '"-"', ' "', '" ', '""']
    .map((s) => Buffer.from(s)),
  ...[', client: ', ', request: "', ', host: "', ' [pid ', '[client ', ':', '::', ',', ', ', ' : ', '\t', '\r', '\n', '{', '}', '%', '$', '/', '?', '#']
    .map((s) => Buffer.from(s)),
  ...['0', '999999999999999999999', '-1', '1e9', '.5', '0.', '600', '99', 'Sep 15 16:13:46 h x[1]: ', '<13>', '2026/10/10 13:55:36 [', '10/Oct/2000:13:55:36 -0700']
    .map((s) => Buffer.from(s)),
  ...[[0], [0xff], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xef, 0xbb, 0xbf], [0x1b, 0x5b, 0x33, 0x31, 0x6d]]
    .map((b) => Buffer.from(b)),
  Buffer.from('é😀\u2028'),
];

/** Units of long fields: a huge cookie or user agent, a URL of `../`, runs of escapes or quotes. */
const LONG_UNITS = ['a', '"', '\\', '\\x', '[', ' ', '7', '../', '%00', '- ', '"-" ', ', client: '];

type Mutation =
  | { op: 'flip'; at: number; mask: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Buffer }
  | { op: 'delete'; at: number; len: number }
  | { op: 'duplicate'; at: number; len: number; times: number }
  | { op: 'field'; a: number; b: number; how: 'swap' | 'repeat' | 'drop' };

const insertionArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...INSERTS) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...LONG_UNITS), fc.integer({ min: 64, max: MAX_LONG_FIELD }))
      .map(([unit, n]) => Buffer.from(unit.repeat(Math.ceil(n / unit.length)))),
  },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => Buffer.from(b)) },
);

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  { weight: 3, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: insertionArb }) },
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 80 }), times: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('field' as const), a: fc.nat(), b: fc.nat(), how: fc.constantFrom('swap' as const, 'repeat' as const, 'drop' as const) }),
);

function mutate(line: Buffer, m: Mutation): Buffer {
  const n = line.length;
  switch (m.op) {
    case 'flip': {
      if (n === 0) return line;
      const out = Buffer.from(line);
      out[m.at % n] = line[m.at % n]! ^ m.mask;
      return out;
    }
    case 'truncate':
      return line.subarray(0, m.at % (n + 1));
    case 'insert': {
      const at = m.at % (n + 1);
      return Buffer.concat([line.subarray(0, at), m.bytes, line.subarray(at)]);
    }
    case 'delete': {
      const at = m.at % (n + 1);
      return Buffer.concat([line.subarray(0, at), line.subarray(at + m.len)]);
    }
    case 'duplicate': {
      const at = m.at % (n + 1);
      const piece = line.subarray(at, at + m.len);
      return Buffer.concat([line.subarray(0, at + piece.length), ...Array<Buffer>(m.times).fill(piece), line.subarray(at + piece.length)]);
    }
    case 'field': {
      // Space-separated fields (a quoted user agent is several): swapped, repeated (`"-" "-"`) or dropped.
      const fields = line.toString('latin1').split(' ');
      const a = m.a % fields.length;
      const b = m.b % fields.length;
      if (m.how === 'swap') [fields[a], fields[b]] = [fields[b]!, fields[a]!];
      else if (m.how === 'repeat') fields.splice(a, 0, fields[a]!);
      else fields.splice(a, 1);
      return Buffer.from(fields.join(' '), 'latin1');
    }
  }
}

/** A real line with 0–6 mutations applied. */
const mutatedBytesArb: fc.Arbitrary<Buffer> = fc
  .tuple(fc.constantFrom(...SEEDS), fc.array(mutationArb, { maxLength: 6 }))
  .map(([seed, ms]) => ms.reduce(mutate, seed));

/** Line bytes: mostly mutated real lines, some pure noise. */
const lineBytesArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 8, arbitrary: mutatedBytesArb },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
);

/** The text the framer makes of a line's bytes. */
function decode(bytes: Buffer): string {
  return decodeLogBytes(bytes, 0, bytes.length);
}

/**
 * Line text as a parser receives it: decoded by the framer (invalid bytes and NUL as `\xNN`), or raw
 * (latin1, NUL and control characters included: parse() takes any string), or any Unicode string.
 */
const lineTextArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: lineBytesArb.map(decode) },
  { weight: 2, arbitrary: lineBytesArb.map((b) => b.toString('latin1')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);

// ---------------------------------------------------------------------------------------------------
// What every parse result must look like.

const OPTIONAL_TEXT = ['method', 'endpoint', 'protocol', 'clientIp', 'userAgent', 'referer', 'host'] as const;

/** What is wrong with a record (empty when nothing): the columns it goes into must accept it. */
function recordProblems(r: LogRecord, lineHasNul: boolean): string[] {
  const problems: string[] = [];
  if (!Number.isFinite(r.timestamp)) problems.push(`timestamp ${r.timestamp}`);
  if (!LOG_LEVELS.includes(r.level)) problems.push(`level ${String(r.level)}`);
  if (r.statusCode !== null && !(Number.isInteger(r.statusCode) && r.statusCode >= 100 && r.statusCode <= 599)) problems.push(`status ${r.statusCode}`);
  if (r.latencyMs !== null && !(Number.isFinite(r.latencyMs) && r.latencyMs >= 0)) problems.push(`latency ${r.latencyMs}`);
  if (r.bytesSent !== null && !(Number.isSafeInteger(r.bytesSent) && r.bytesSent >= 0)) problems.push(`bytes ${r.bytesSent}`);
  if (typeof r.message !== 'string') problems.push('message is not text');
  for (const key of OPTIONAL_TEXT) {
    const v = r[key];
    if (v !== null && typeof v !== 'string') problems.push(`${key} is not text`);
    // PostgreSQL text cannot hold NUL: unescaping must never make one out of `\x00` or `\u0000`.
    if (!lineHasNul && typeof v === 'string' && v.includes('\0')) problems.push(`${key} holds NUL`);
  }
  return problems;
}

/** A code of the vocabulary, and a detail that says something, shortly. */
function expectReason(code: string, detail: string, format: string, maxChars = MAX_REASON_CHARS): void {
  expect(isRejectionCode(code), `${format}: '${code}' is not a rejection code`).toBe(true);
  expect(typeof detail, format).toBe('string');
  expect(detail.trim().length, `${format}: empty rejection detail`).toBeGreaterThan(0);
  expect(detail.length, `${format}: detail of ${detail.length} chars: ${detail.slice(0, 120)}…`).toBeLessThanOrEqual(maxChars);
}

const scratch = newFailure();

/** One line through one LineFormat: a valid record, or null with a code and detail; never an exception. */
function checkLineFormat(format: LineFormat, line: string, maxReasonChars = MAX_REASON_CHARS): void {
  scratch.code = 'parser_error';
  scratch.detail = '';
  const rec = format.parseLine(line, scratch);
  if (rec === null) expectReason(scratch.code, scratch.detail, format.name, maxReasonChars);
  else expect(recordProblems(rec, line.includes('\0')), format.name).toEqual([]);
  if (format.multiLine) expect(typeof format.startsRecord(line)).toBe('boolean');
}

/** A RecordParser result: ChainParser catches exceptions, so an "internal parser error" is the thrown bug. */
function checkResult(result: ParseResult, format: string, line: string): void {
  if (result.ok) expect(recordProblems(result.record, line.includes('\0')), format).toEqual([]);
  else {
    expect(result.code, `${format}: ${result.detail}`).not.toBe('parser_error');
    expect(result.reason).toBe(REJECTION_REASONS[result.code]);
    expectReason(result.code, result.detail, format);
  }
}

// ---------------------------------------------------------------------------------------------------
// Custom formats: fixed layouts that differ from the presets, and random ones from tokens.

const CUSTOM_NGINX = [
  `log_format json escape=json '{"time":"$time_iso8601","addr":"$remote_addr","req":"$request","status":$status,"ua":"$http_user_agent","rt":$request_time}';`,
  `'$http_x_forwarded_for - $remote_user [$time_local] "$request_method $uri$is_args$args $server_protocol" $status $bytes_sent "$http_referer" "$http_user_agent" $upstream_response_time $upstream_addr'`,
  '$msec $host:$server_port $remote_addr "$request" $status $body_bytes_sent',
];
const CUSTOM_APACHE = [
  'LogFormat "%v:%p %a %l %u [%{%Y-%m-%d %H:%M:%S}t] \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\" %{ms}T" custom',
  '%{X-Forwarded-For}i %{sec}t "%m %U%q %H" %s %B %D',
  'CustomLog logs/x "%h %{usec}t \\"%r\\" %>s %b"',
];
const customFormats = (): LineFormat[] => [
  ...CUSTOM_NGINX.map((f) => new LayoutFormat(compileNginxLogFormat(f, 'custom_nginx'))),
  ...CUSTOM_APACHE.map((f) => new LayoutFormat(compileApacheLogFormat(f, 'custom_apache'))),
];

/** [format text, a value as a server would write it]: a random format and a line that roughly fits it. */
type Token = readonly [string, string];
const NGINX_TOKENS: readonly Token[] = [
  ['$remote_addr', '10.0.0.1'], ['$remote_user', '-'], ['$time_local', '10/Oct/2000:13:55:36 -0700'], ['$time_iso8601', '2000-10-10T13:55:36-07:00'],
  ['$msec', '1286536308.123'], ['$request', 'GET /a?b=1 HTTP/1.1'], ['$request_method', 'GET'], ['$uri$is_args$args', '/a?b=1'],
  ['$request_uri', '/a?b'], ['$server_protocol', 'HTTP/1.1'], ['$status', '200'], ['$body_bytes_sent', '512'], ['$bytes_sent', '800'],
  ['$request_time', '0.005'], ['${request_time}', '1.5'], ['$upstream_response_time', '0.001, 0.002 : 0.003'], ['$upstream_addr', '10.0.0.9:80, 10.0.0.8:80'],
  ['$http_referer', '-'], ['$http_user_agent', 'Mozilla/5.0 (X11)'], ['$host', 'example.com'], ['$http_x_forwarded_for', '1.2.3.4, 10.0.0.1'],
  ['$gzip_ratio', '2.5'], ['$', ''], ['${', ''], ['${x', 'x'], ['}', '}'], [' ', ' '], [' - ', ' - '], ['"', '"'], ["'", "'"], ['[', '['], [']', ']'],
  ['\\', '\\'], [';', ''], [':', ':'], [',', ','], ['{"a":"', '{"a":"'], ['\\"', '"'],
];
const APACHE_TOKENS: readonly Token[] = [
  ['%h', '10.0.0.1'], ['%a', '::1'], ['%l', '-'], ['%u', 'frank'], ['%t', '[10/Oct/2000:13:55:36 -0700]'], ['%{%d/%b/%Y:%H:%M:%S %z}t', '10/Oct/2000:13:55:36 -0700'],
  ['[%{%Y-%m-%d %H:%M:%S}t]', '[2000-10-10 13:55:36]'], ['%{%Y-%m-%d}t', '2000-10-10'], ['%{sec}t', '971186136'], ['%{msec}t', '971186136123'], ['%{usec}t', '971186136123456'],
  ['%{begin:msec_frac}t', '123'], ['%r', 'GET / HTTP/1.1'], ['%m', 'GET'], ['%U%q', '/a?b'], ['%H', 'HTTP/1.1'], ['%>s', '200'], ['%s', '-'], ['%b', '-'],
  ['%B', '512'], ['%O', '900'], ['%D', '1234'], ['%T', '1'], ['%{ms}T', '5'], ['%{us}T', '5000'], ['%{Referer}i', '-'], ['%{User-Agent}i', 'curl/8'],
  ['%{X-Forwarded-For}i', '10.0.0.2, 10.0.0.1'], ['%v', 'example.com'], ['%p', '443'], ['%!200,304{Referer}i', '-'], ['%^ti', '-'], ['%{c}a', '10.0.0.3'],
  [' ', ' '], ['\\"', '"'], ['"', '"'], ['[', '['], [']', ']'], ['%%', '%'], ['%', ''], ['%{', ''], ['%{x}', ''], ['%<', ''], [':', ':'], ['\\', '\\'], ['\\n', '\n'],
];

function formatArb(tokens: readonly Token[], wrap: (format: string) => string[]): fc.Arbitrary<{ format: string; line: string }> {
  return fc
    .tuple(fc.array(fc.constantFrom(...tokens), { minLength: 1, maxLength: 24 }), fc.nat())
    .map(([ts, pick]) => {
      const forms = wrap(ts.map((t) => t[0]).join(''));
      return { format: forms[pick % forms.length]!, line: ts.map((t) => t[1]).join('') };
    });
}
const nginxFormatArb = formatArb(NGINX_TOKENS, (f) => [f, `log_format main '${f}';`, `log_format j escape=json '${f}' '$status';`, `'${f}'`]);
const apacheFormatArb = formatArb(APACHE_TOKENS, (f) => [f, `LogFormat "${f}" nick`, `CustomLog logs/access.log "${f}"`, `"${f}"`]);

/** Compiles, or throws FormatError (a 400 for the user); any other exception is a bug. */
function compileOrNull(compile: (input: string) => ReturnType<typeof compileNginxLogFormat>, input: string): LayoutFormat | null {
  try {
    return new LayoutFormat(compile(input));
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(FormatError);
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------
// 1. Never throws.

describe('fuzz: a parse gives a record or a rejection with a reason, never an exception', () => {
  it('the seed lines are real: each group parses in auto mode (so mutations start from valid lines)', () => {
    for (const [group, lines] of Object.entries(SEED_GROUPS)) {
      const parser = createRecordParser({ format: 'auto' }, lines);
      const assembler = new RecordAssembler((l) => parser.startsRecord(l));
      const records = [...lines.flatMap((text, i) => assembler.push(framedLine(text, i + 1))), ...assembler.flush()];
      for (const r of records) expect(parser.parse(r.text), `${group}: ${r.text}`).toMatchObject({ ok: true });
    }
    for (const format of customFormats()) expect(format.name).toMatch(/^custom_/);
  });

  it('regression: an unknown nginx severity is quoted as an excerpt, not up to a `]` a megabyte away', () => {
    const line = `2020/11/25 14:42:16 [${'a'.repeat(MIB)}crit] 76952#76952: *2454307 SSL_do_handshake() failed`;
    checkLineFormat(PRESETS.find((p) => p.name === 'nginx_error')!.create(), line);
    expect(scratch).toMatchObject({ code: 'unknown_level', detail: `nginx severity '${'a'.repeat(40)}…' at column 22` });
  });

  it('every preset, every custom layout and auto mode, on mutated real lines and noise', () => {
    const formats = [...PRESETS.map((p) => p.create()), ...customFormats()];
    fc.assert(
      fc.property(fc.array(lineTextArb, { minLength: 1, maxLength: 8 }), (lines) => {
        for (const format of formats) for (const line of lines) checkLineFormat(format, line);
        // Auto mode detects from these very lines, so the primary format and fallbacks vary from run to run.
        const auto = createRecordParser({ format: 'auto' }, lines);
        for (const line of lines) {
          expect(typeof auto.startsRecord(line)).toBe('boolean');
          checkResult(auto.parse(line), `auto (${auto.format})`, line);
        }
      }),
      { numRuns: RUNS.lines },
    );
  }, SLOW_TEST_MS);

  it('nginx log_format and Apache LogFormat: compile or FormatError; compiled layouts never throw', () => {
    const check = (compile: typeof compileNginxLogFormat) => (f: { format: string; line: string }, mutations: Mutation[], noise: string) => {
      const format = compileOrNull(compile, f.format);
      if (format === null) return;
      const fitting = Buffer.from(f.line);
      for (const line of [f.line, decode(mutations.reduce(mutate, fitting)), noise]) {
        // A custom format's rejection detail quotes its own literals, which are as long as the user made them.
        checkLineFormat(format, line, MAX_REASON_CHARS + f.format.length);
      }
    };
    const mutationsArb = fc.array(mutationArb, { maxLength: 3 });
    fc.assert(fc.property(nginxFormatArb, mutationsArb, lineTextArb, check(compileNginxLogFormat)), { numRuns: RUNS.formats });
    fc.assert(fc.property(apacheFormatArb, mutationsArb, lineTextArb, check(compileApacheLogFormat)), { numRuns: RUNS.formats });
    // Random characters as a format: the same contract.
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (text) => {
        compileOrNull(compileNginxLogFormat, text);
        compileOrNull(compileApacheLogFormat, text);
      }),
      { numRuns: RUNS.formats },
    );
  }, SLOW_TEST_MS);

  it('framing: any bytes in any chunks give numbered lines that cover the input, as text PostgreSQL can store', () => {
    const byteArb = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
      { weight: 2, arbitrary: fc.constantFrom(0x0a, 0x0d, 0x00, 0xff, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x80) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
    );
    fc.assert(
      fc.property(
        fc.array(byteArb, { maxLength: 2_000 }).map((b) => Buffer.from(b)),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 400 }),
        (bytes, chunkSizes, maxLineBytes) => {
          const whole = frameAll([bytes], maxLineBytes);
          expect(frameAll(chunk(bytes, chunkSizes), maxLineBytes)).toEqual(whole);
          const segments = splitLines(bytes);
          expect(whole.map((l) => l.lineNo)).toEqual(segments.map((_, i) => i + 1));
          let offset = 0;
          whole.forEach((line, i) => {
            expect(line.byteStart).toBe(offset);
            offset = line.byteEnd;
            const seg = segments[i]!;
            const contentBytes = seg.length > 0 && seg[seg.length - 1] === 13 ? seg.length - 1 : seg.length;
            expect(line.tooLong).toBe(contentBytes > maxLineBytes);
            expect(line.text.includes('\0')).toBe(false);
            expect(Buffer.from(line.text).toString()).toBe(line.text); // well-formed: no lone surrogates
          });
          expect(offset).toBe(bytes.length);
        },
      ),
      { numRuns: RUNS.framing },
    );
  });
});

function framedLine(text: string, lineNo: number): FramedLine {
  return { text, lineNo, byteStart: 0, byteEnd: 0, tooLong: false };
}

function frameAll(chunks: Buffer[], maxLineBytes: number): FramedLine[] {
  const framer = new LineFramer({ startOffset: 0, startLineNo: 1, maxLineBytes });
  return [...chunks.flatMap((c) => framer.push(c)), ...framer.end()];
}

/** `bytes` cut into chunks of the given sizes, cycled. */
function chunk(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = sizes[k % sizes.length]!;
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// 2. Never hangs: 1 MiB lines.

const NGINX_LINE = '1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 12 "-" "curl/8"';
const ERROR_START = '2026/10/10 13:55:36 [error] 1234#0: *5 upstream timed out';

/** `unit` repeated to 1 MiB, between a prefix and a suffix. */
function fill(unit: string | number[], prefix = '', suffix = ''): Buffer {
  const u = typeof unit === 'string' ? Buffer.from(unit) : Buffer.from(unit);
  const body = Buffer.alloc(MIB, u);
  return Buffer.concat([Buffer.from(prefix), body, Buffer.from(suffix)]);
}

/**
 * Shapes that make a backtracking or rescanning parser go quadratic: long runs of what its scans look
 * for (quotes, escapes, separators, context keys), alone or after a valid prefix. The normal run takes
 * the first group; SOAK adds the rest.
 */
const HUGE_LINES: readonly (readonly [string, Buffer])[] = [
  ['quotes', fill('"')],
  ['backslashes', fill('\\')],
  ['spaces, then one letter', fill(' ', '', 'x')],
  ['`- - [`', fill('- - [')],
  ['valid prefix, then quotes and spaces', fill('" ', NGINX_LINE.substring(0, NGINX_LINE.indexOf('"') + 1))],
  ['valid prefix, a user agent that never closes', fill('a\\"', NGINX_LINE.slice(0, -1))],
  ['nginx error, then `, client: `', fill(', client: ', ERROR_START)],
  ['apache error, then `(1): [client `', fill('(1): [client ', '[Wed Oct 11 14:32:52.123456 2000] [core:error] ')],
  ['syslog headers', fill('host nginx[1]: ')],
  ['invalid UTF-8 and NUL', fill([0xff, 0x00, 0xc3, 0x22])],
  ...(SOAK ? ([
    ['backslash-quote pairs', fill('\\"')],
    ['open brackets', fill('[')],
    ['spaces', fill(' ')],
    ['\\xNN of UTF-8 lead bytes', fill('\\xE2\\x82')],
    ['\\x', fill('\\x')],
    ['digits', fill('7')],
    ['quoted fields', fill('"-" ')],
    ['quote, space, digit', fill('" 2')],
    ['valid line, then quoted fields', fill(' "x"', NGINX_LINE)],
    ['valid line, then numbers', fill(' 0.1', NGINX_LINE)],
    ['valid prefix, then an upstream list', fill(', 0.1 : ', `${NGINX_LINE} 0.050 `)],
    ['nginx error, then quoted context values', fill(', request: "a', ERROR_START)],
    ['apache error, then `[pid `', fill(' [pid ', '[Wed Oct 11 14:32:52 2000] [error]')],
    ['multi-byte characters', fill('é😀"')],
  ] as const) : []),
];

/** Compiler inputs: runs of what the format scanners look for (`$`, `${`, `%{`, quotes, escapes), and many fields. */
const HUGE_FORMATS: readonly (readonly [string, Buffer])[] = [
  ['`${`', fill('${')],
  ['`%{`', fill('%{')],
  ['many nginx fields', fill('$remote_addr [$time_local] "$request" ')],
  ['many Apache fields', fill('%h %t \\"%r\\" %{Referer}i ')],
  ...(SOAK ? ([['quotes after log_format', fill("'", 'log_format x ')], ['escaped quotes after LogFormat', fill('\\"', 'LogFormat "')], ...HUGE_LINES] as const) : []),
];

/** Slowest time seen per parser, for the soak summary. */
const slowest = new Map<string, number>();

/** Times one parser on a 1 MiB line; `passes`: how many formats it runs over the line (auto mode tries them all). */
function timed(label: string, fn: () => void, passes = 1): void {
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  slowest.set(label, Math.max(slowest.get(label) ?? 0, ms));
  const budget = HUGE_LINE_BUDGET_MS * passes;
  expect(ms, `${label}: ${ms.toFixed(0)} ms for a 1 MiB line (budget ${budget} ms: super-linear?)`).toBeLessThan(budget);
}

/** A 1 MiB line through every parser: presets, custom layouts, auto mode, syslog, records, framing, routes. */
function throughEveryParser(bytes: Buffer): void {
  const text = decode(bytes);
  for (const preset of PRESETS) {
    const format = preset.create();
    timed(preset.name, () => checkLineFormat(format, text));
  }
  for (const format of customFormats()) timed(format.name, () => checkLineFormat(format, text));
  let auto = createRecordParser({ format: 'auto' }, []);
  // Detection parses the line with every preset; a rejected line is tried with the primary, again without a
  // syslog header, and with every other preset, and startsRecord may try them all once more.
  timed('auto: detection', () => void (auto = createRecordParser({ format: 'auto' }, [text, NGINX_LINE])), PRESETS.length);
  timed('auto: parse', () => {
    checkResult(auto.parse(text), 'auto', text);
    auto.startsRecord(text);
  }, 2 * PRESETS.length + 1);
  timed('syslog header', () => void syslogPrefixLength(text));
  // Each continuation line is tried as a record of every other preset before it joins the record.
  timed('records: nginx_error + 1 MiB of continuation lines', () => {
    const parser = createRecordParser({ format: 'nginx_error' }, []);
    const assembler = new RecordAssembler((l) => parser.startsRecord(l));
    const lines = [ERROR_START, ...Array.from({ length: 1000 }, (_, i) => text.substring(i * 1024, (i + 1) * 1024))];
    const records = [...lines.flatMap((l, i) => assembler.push({ ...framedLine(l, i + 1), byteEnd: (i + 1) * 1025 })), ...assembler.flush()];
    for (const r of records) checkResult(parser.parse(r.text), 'nginx_error record', r.text);
  }, PRESETS.length);
  const withNewline = Buffer.concat([bytes, Buffer.from('\n')]);
  timed('framing: one chunk', () => void frameAll([withNewline], 2 * MIB));
  timed('framing: 4 KiB chunks, cut at 64 KiB', () => void frameAll(chunk(withNewline, [4096]), 64 * 1024));
  timed('route normaliser', () => void new RouteNormaliser().route(`/${text}`));
}

describe('fuzz: 1 MiB adversarial lines finish in linear time', () => {
  afterAll(() => {
    // The measured times, for the soak log (the normal run stays quiet).
    if (SOAK) console.log([...slowest].map(([k, ms]) => `${k.padEnd(52)} ${ms.toFixed(0).padStart(6)} ms`).join('\n'));
  });

  it.each(HUGE_LINES)('%s', (_name, bytes) => throughEveryParser(bytes), SLOW_TEST_MS);

  it.each(HUGE_FORMATS)('compilers: %s', (_name, bytes) => {
    const text = decode(bytes);
    timed('compileNginxLogFormat', () => void compileOrNull(compileNginxLogFormat, text));
    timed('compileApacheLogFormat', () => void compileOrNull(compileApacheLogFormat, text));
  }, SLOW_TEST_MS);

  it('random: a real line cut anywhere, 1 MiB of repeated scanner-relevant tokens, maybe the rest of a line', () => {
    const unitArb = fc.array(fc.constantFrom(...INSERTS.filter((b) => !b.includes(10))), { minLength: 1, maxLength: 3 }).map((bs) => Buffer.concat(bs));
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.nat(), unitArb, fc.option(fc.constantFrom(...SEEDS)), (seed, cut, unit, tail) => {
        const head = seed.subarray(0, cut % (seed.length + 1));
        throughEveryParser(Buffer.concat([head, Buffer.alloc(MIB, unit), tail ?? Buffer.alloc(0)]));
      }),
      { numRuns: RUNS.hugeLines },
    );
  }, SOAK ? 3_600_000 : SLOW_TEST_MS);
});

/**
 * Pasted formats with long literals (the upload's log_format takes up to 8,192 characters), each with a
 * 1 MiB line of near-matches of its literal (the literal's prefix repeated), in every place where the
 * scanner looks for a literal: after a plain field, after a list-valued one, after a quoted one and
 * after the last (issue 13, #10). Trying the literal at each candidate costs its length per candidate
 * there: 8,000 × the line. A valid line of each format parses, so the long literal is really matched.
 */
const LONG_LITERAL_FORMATS: readonly (readonly [name: string, compile: () => LineFormat, valid: string, huge: string])[] = (() => {
  const time = '[$time_local]';
  const timeValue = '[10/Oct/2000:13:55:36 -0700]';
  const a = `${'a'.repeat(7999)}b`;
  // Starts with a space and continues like a list (`a , b`): every occurrence in the huge line is inside the list.
  const commas = ' ,'.repeat(4000);
  const quotes = `${'" '.repeat(3999)}x"`;
  const nginx = (name: string, format: string) => () => new LayoutFormat(compileNginxLogFormat(format, name));
  return [
    ['after a plain field', nginx('long_plain', `\${remote_addr}${a} ${time} $status`),
      `10.0.0.1${a} ${timeValue} 200`, `10.0.0.1${'a'.repeat(MIB)}`],
    ['after a list-valued field', nginx('long_list', `$remote_addr ${time} $upstream_response_time${commas}$status`),
      `10.0.0.1 ${timeValue} 0.1, 0.2${commas}200`, `10.0.0.1 ${timeValue} 0.1,${' ,'.repeat(MIB / 2)}`],
    ['after a quoted field', nginx('long_quoted', `$remote_addr ${time} "$request${quotes} $status`),
      `10.0.0.1 ${timeValue} "GET / HTTP/1.1${quotes} 200`, `10.0.0.1 ${timeValue} "GET / HTTP/1.1${'" '.repeat(MIB / 2)}`],
    ['after the last field', nginx('long_last', `$remote_addr ${time} "$request" $status "$http_user_agent${quotes}`),
      `10.0.0.1 ${timeValue} "GET / HTTP/1.1" 200 "curl${quotes}`, `10.0.0.1 ${timeValue} "GET / HTTP/1.1" 200 "curl${'" '.repeat(MIB / 2)}`],
    ['Apache, after a plain field', () => new LayoutFormat(compileApacheLogFormat(`%h${a} %t %>s`, 'long_apache')),
      `10.0.0.1${a} ${timeValue} 200`, `10.0.0.1${'a'.repeat(MIB)}`],
  ];
})();

describe('fuzz: long literals of a pasted format cost linear time too', () => {
  it.each(LONG_LITERAL_FORMATS)('%s', (_name, compile, valid, huge) => {
    const format = compile();
    const rec = format.parseLine(valid, scratch);
    expect(rec, scratch.detail).toMatchObject({ clientIp: '10.0.0.1', statusCode: 200 });
    // The rejection of the huge line quotes an excerpt of the literal, not all 8,000 characters of it.
    timed(format.name, () => checkLineFormat(format, huge));
  }, SLOW_TEST_MS);
});

// ---------------------------------------------------------------------------------------------------
// 3. Every line accounted for, through the code that turns a spool file into batches.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'li-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BLANKS = ['', ' ', '\t', '\r', '  \t \r', '\f\v'];
const LOG_TEXT_COLUMNS = LOG_COPY_COLUMNS.flatMap((c, i) =>
  ['log_level', 'method', 'endpoint', 'route', 'protocol', 'message', 'client_ip', 'user_agent', 'referer', 'host', 'source', 'raw_log'].includes(c) ? [i] : [],
);
const LINE_NO = LOG_COPY_COLUMNS.indexOf('line_no');
const RAW = LOG_COPY_COLUMNS.indexOf('raw_log');
const REJECT = {
  lineNo: REJECT_COPY_COLUMNS.indexOf('line_no'),
  reason: REJECT_COPY_COLUMNS.indexOf('reason'),
  code: REJECT_COPY_COLUMNS.indexOf('reason_code'),
  detail: REJECT_COPY_COLUMNS.indexOf('detail'),
  raw: REJECT_COPY_COLUMNS.indexOf('raw_log'),
};

/** What parseSpoolFile counts as skipped: a line of only space, tab, VT, FF, CR, within the length limit. */
function isBlankLine(seg: Buffer, maxLineBytes: number): boolean {
  const content = seg.length > 0 && seg[seg.length - 1] === 13 ? seg.length - 1 : seg.length;
  return content <= maxLineBytes && seg.every((b) => b === 0x20 || b === 0x09 || b === 0x0b || b === 0x0c || b === 0x0d);
}

/** One row of the batches: the line it starts at and how many (non-blank) lines it covers. */
interface Row {
  lineNo: number;
  lineCount: number;
  raw: string;
  /** Null for a stored record. */
  rejection: { code: string; detail: string } | null;
}

function rowsOf(batches: BatchMessage[]): Row[] {
  const rows: Row[] = [];
  for (const b of batches) {
    for (const f of b.logs.flatMap((d) => readBinaryCopy(d.data))) {
      for (const i of LOG_TEXT_COLUMNS) expectStorableText(f[i] ?? null, LOG_COPY_COLUMNS[i]!);
      rows.push({ lineNo: Number(f[LINE_NO]!.readBigInt64BE()), lineCount: f[LINE_NO + 1]!.readInt32BE(), raw: f[RAW]!.toString(), rejection: null });
    }
    for (const f of b.rejects ? readBinaryCopy(b.rejects) : []) {
      for (const i of [REJECT.reason, REJECT.code, REJECT.detail, REJECT.raw]) expectStorableText(f[i]!, REJECT_COPY_COLUMNS[i]!);
      const code = f[REJECT.code]!.toString();
      // The phrase stored beside the code is the code's.
      expect(f[REJECT.reason]!.toString()).toBe(isRejectionCode(code) ? REJECTION_REASONS[code] : `a code, not '${code}'`);
      rows.push({
        lineNo: Number(f[REJECT.lineNo]!.readBigInt64BE()), lineCount: f[REJECT.lineNo + 1]!.readInt32BE(), raw: f[REJECT.raw]!.toString(),
        rejection: { code, detail: f[REJECT.detail]!.toString() },
      });
    }
  }
  return rows;
}

/** PostgreSQL `text` takes valid UTF-8 without NUL; one bad value fails the COPY of the whole batch. */
function expectStorableText(field: Buffer | null, column: string): void {
  if (field === null) return;
  expect(isUtf8(field), `${column} is not UTF-8`).toBe(true);
  expect(field.includes(0), `${column} holds NUL`).toBe(false);
}

const fileLineArb: fc.Arbitrary<{ seed: number; mutations: Mutation[] } | Buffer> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ seed: fc.nat(), mutations: fc.array(mutationArb, { maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.constantFrom(...BLANKS).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: lineBytesArb },
);

const spoolFileArb = fc.record({
  group: fc.nat(),
  lines: fc.array(fileLineArb, { maxLength: MAX_FILE_LINES }),
  crlf: fc.boolean(),
  finalNewline: fc.boolean(),
  batchRows: fc.integer({ min: 1, max: 64 }),
  maxLineBytes: fc.constantFrom(64, 300, 65_536),
  format: fc.constantFrom('auto', 'auto', 'auto', 'nginx_combined', 'nginx_error', 'apache_error', 'combined_extra'),
});

let fileNo = 0;

describe('fuzz: every line of a spool file is ingested, rejected with a reason, or skipped', () => {
  it('mutated real files: the counts add up, each rejection names its line and why', async () => {
    await fc.assert(
      fc.asyncProperty(spoolFileArb, async (spec) => {
        // One seed file's lines, mostly mutated, mixed with blank lines and noise: as one broken log file.
        const seeds = FILES[spec.group % FILES.length]!;
        const lines = spec.lines.map((l) => (Buffer.isBuffer(l) ? l : l.mutations.reduce(mutate, seeds[l.seed % seeds.length]!)));
        const eol = Buffer.from(spec.crlf ? '\r\n' : '\n');
        const parts = lines.flatMap((l, i) => (i < lines.length - 1 || spec.finalNewline ? [l, eol] : [l]));
        const bytes = Buffer.concat(parts);
        const spoolPath = path.join(tmp, `file-${++fileNo}.log`);
        fs.writeFileSync(spoolPath, bytes);

        const batches: BatchMessage[] = [];
        await parseSpoolFile(
          {
            jobId: '00000000-0000-4000-8000-00000000f022', source: 'fuzz', spoolPath, format: { format: spec.format },
            startOffset: 0, linesBefore: 0, batchRows: spec.batchRows, maxLineBytes: spec.maxLineBytes, routeRules: [],
          },
          async (b) => void batches.push(b),
        );
        fs.rmSync(spoolPath);

        // The model: lines as the framer splits them, and which of them are blank.
        const segments = splitLines(bytes);
        const total = segments.length;
        const blank = segments.map((s) => isBlankLine(s, spec.maxLineBytes));
        const blanks = blank.filter(Boolean).length;
        const sum = (k: 'linesIngested' | 'linesRejected' | 'linesSkipped'): number => batches.reduce((n, b) => n + b[k], 0);
        const last = batches[batches.length - 1]!;
        expect(last.final).toBe(true);
        expect(sum('linesIngested') + sum('linesRejected') + sum('linesSkipped')).toBe(total);
        expect(sum('linesSkipped')).toBe(blanks);
        expect(last.linesProcessed).toBe(total);
        expect(last.bytesProcessed).toBe(bytes.length);
        // Each batch's checkpoint is where the first line it does not account for begins (a resume point).
        const framed = frameAll([bytes], spec.maxLineBytes);
        let accounted = 0;
        for (const b of batches) {
          accounted += b.linesIngested + b.linesRejected + b.linesSkipped;
          expect(b.linesProcessed).toBe(accounted);
          expect(b.bytesProcessed).toBe(accounted === 0 ? 0 : framed[accounted - 1]!.byteEnd);
        }

        const rows = rowsOf(batches);
        const stored = rows.filter((r) => r.rejection === null);
        const rejected = rows.filter((r) => r.rejection !== null);
        expect(stored.reduce((n, r) => n + r.lineCount, 0)).toBe(sum('linesIngested'));
        expect(rejected.reduce((n, r) => n + r.lineCount, 0)).toBe(sum('linesRejected'));
        // Each row starts at its own non-blank line; single-line rows hold exactly that line's text.
        expect(new Set(rows.map((r) => r.lineNo)).size).toBe(rows.length);
        for (const r of rows) {
          expect(r.lineNo).toBeGreaterThanOrEqual(1);
          expect(r.lineNo).toBeLessThanOrEqual(total);
          expect(blank[r.lineNo - 1], `line ${r.lineNo} is blank but was stored or rejected`).toBe(false);
          if (r.lineCount === 1) expect(r.raw).toBe(framed[r.lineNo - 1]!.text);
          if (r.rejection !== null) expectReason(r.rejection.code, r.rejection.detail, `line ${r.lineNo}`);
        }
      }),
      { numRuns: RUNS.files },
    );
  }, SOAK ? 3_600_000 : SLOW_TEST_MS);
});

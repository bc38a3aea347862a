/**
 * Issue 14's corpus: for a format of bench/formatDefinitions.ts (or a mixed file of several), N access
 * log lines rendered from the format's official definition, each with the truth a parser must
 * recover from it. The truth is what the line can say, in the server's own units and resolution:
 * nginx times are whole milliseconds, Apache `%D` microseconds, `%T` whole seconds (a 21.7 s request
 * is 21,000 ms), Traefik truncated milliseconds; a field the format does not carry is null.
 * Used by src/ingest/formatFidelity.test.ts and test/formatFidelity.int.test.ts.
 */
import { formatDefinition, FORMAT_DEFINITIONS, type FormatDefinition } from './formatDefinitions.js';
import { prng } from './generate.js';
import { sampleRequests, type Request } from './formatRequests.js';
import { definitionFields, renderLine } from './formatRender.js';

export interface TruthRecord {
  timestampMs: number;
  status: number | null;
  latencyMs: number | null;
  bytes: number | null;
  method: string | null;
  /** Path without the query, as sent. */
  endpoint: string | null;
  query: string | null;
  protocol: string | null;
  userAgent: string | null;
  referer: string | null;
  host: string | null;
  client: string | null;
}

export interface CorpusLine {
  text: string;
  /** The format definition this line was written with. */
  format: string;
  truth: TruthRecord;
}

export interface Corpus {
  name: string;
  lines: CorpusLine[];
  /** The file: every line followed by a newline. */
  text: string;
}

/** A file several formats write to; `formatOf` names the format of line i (0-based) of `count`. */
export interface MixedFile {
  name: string;
  description: string;
  formatOf(i: number, count: number, rnd: () => number): string;
}

export const MIXED_FILES: readonly MixedFile[] = [
  { name: 'mixed_plain_first', description: 'one plain combined line, then combined + $request_time', formatOf: (i) => (i === 0 ? 'nginx_combined' : 'nginx_combined_rt') },
  {
    name: 'mixed_changed_mid_file', description: 'combined, then combined + $request_time from the middle on (someone added it)',
    formatOf: (i, count) => (i < count / 2 ? 'nginx_combined' : 'nginx_combined_rt'),
  },
  {
    name: 'mixed_interleaved_50_50', description: 'two server blocks, combined and combined + $request_time $upstream_response_time, 50/50',
    formatOf: (_i, _n, rnd) => (rnd() < 0.5 ? 'nginx_combined' : 'nginx_combined_rt_urt'),
  },
  {
    name: 'mixed_interleaved_95_5', description: 'two server blocks: 95% combined, 5% combined + $request_time $upstream_response_time',
    formatOf: (_i, _n, rnd) => (rnd() < 0.95 ? 'nginx_combined' : 'nginx_combined_rt_urt'),
  },
  {
    name: 'mixed_interleaved_5_95', description: 'two server blocks: 5% combined, 95% combined + $request_time $upstream_response_time',
    formatOf: (_i, _n, rnd) => (rnd() < 0.05 ? 'nginx_combined' : 'nginx_combined_rt_urt'),
  },
  {
    name: 'mixed_apache_plain_head', description: 'Apache combined for the first 300 lines, then combined + %D',
    formatOf: (i) => (i < 300 ? 'apache_combined' : 'apache_combined_D'),
  },
];

export const SINGLE_FORMATS: readonly string[] = FORMAT_DEFINITIONS.map((d) => d.name);

/** The file `name` (a format or a mixed file) with `count` lines; the same name, count and seed give the same file. */
export function formatCorpus(name: string, count: number, seed = 14): Corpus {
  const mixed = MIXED_FILES.find((m) => m.name === name);
  const fileSeed = (seed ^ hash(name)) >>> 0;
  const rnd = prng(fileSeed + 1);
  const requests = sampleRequests(count, fileSeed);
  const lines = requests.map((req, i): CorpusLine => {
    const def = formatDefinition(mixed === undefined ? name : mixed.formatOf(i, count, rnd));
    return { text: renderLine(def, req), format: def.name, truth: truthOf(def, req) };
  });
  return { name, lines, text: lines.map((l) => `${l.text}\n`).join('') };
}

/** What a line in this format says about the request (see the file comment for the units). */
export function truthOf(def: FormatDefinition, req: Request): TruthRecord {
  const has = definitionFields(def);
  const ms = Math.floor(req.durationUs / 1000);
  const total = req.bodyBytes + req.headerBytes;
  const request = { method: req.method, endpoint: req.path, query: req.query, protocol: req.protocol };
  const none = { method: null, endpoint: null, query: null, protocol: null };
  if (def.server === 'traefik') {
    return {
      timestampMs: req.timeSec * 1000, status: req.status, latencyMs: ms, bytes: req.bodyBytes, ...request,
      userAgent: req.userAgent, referer: req.referer, host: null, client: req.client,
    };
  }
  if (def.server === 'nginx') {
    const upstreamMs = req.upstream === null ? null : req.upstream.flat().reduce((s, t) => s + t.responseMs, 0);
    return {
      timestampMs: req.timeSec * 1000,
      status: has.has('status') ? req.status : null,
      // nginx's own rule, and the parser's: the request time when logged, else the upstream times summed.
      latencyMs: has.has('request_time') ? ms : has.has('upstream_response_time') ? upstreamMs : null,
      bytes: has.has('body_bytes_sent') ? req.bodyBytes : has.has('bytes_sent') ? total : null,
      ...(has.has('request') ? request : none),
      userAgent: has.has('http_user_agent') ? req.userAgent : null,
      referer: has.has('http_referer') ? req.referer : null,
      host: has.has('host') || has.has('server_name') ? req.host : null,
      client: has.has('remote_addr') ? req.client : null,
    };
  }
  return {
    timestampMs: req.timeSec * 1000,
    status: has.has('%>s') ? req.status : null,
    latencyMs: has.has('%D') ? req.durationUs / 1000 : has.has('%{ms}T') ? ms : has.has('%T') ? Math.floor(req.durationUs / 1e6) * 1000 : null,
    // %b writes '-' for no body, read as 0 (src/parse/README.md); %O counts headers too.
    bytes: has.has('%b') ? req.bodyBytes : has.has('%O') ? total : null,
    ...(has.has('%r') ? request : none),
    userAgent: has.has('%{User-Agent}i') ? req.userAgent : null,
    referer: has.has('%{Referer}i') ? req.referer : null,
    host: has.has('%v') ? req.host : null,
    client: has.has('%h') ? req.client : null,
  };
}

/** FNV-1a: a stable per-name seed, so each file gets its own time zone and traffic. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

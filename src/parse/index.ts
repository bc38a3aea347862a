/**
 * The parse layer: framing (bytes → lines → records) and formats (record text → LogRecord or a
 * rejection with a reason). src/ingest composes them:
 *   LineFramer → (skip empty lines) → RecordAssembler(parser.startsRecord) → parser.parse(record.text)
 */
import type { ParseResult } from '../domain/record.js';
import { REJECTION_REASONS, type RejectionCode } from '../domain/rejection.js';
import { compileApacheLogFormat } from './apacheLogFormat.js';
import { detectFormat, FormatChain, type Candidate, type Detection } from './detect.js';
import { FormatError } from './formatError.js';
import { LayoutFormat } from './layoutFormat.js';
import { failWith, newFailure, type Failure, type LineFormat } from './lineFormat.js';
import { compileNginxLogFormat } from './nginxLogFormat.js';
import { jsonAccessFromSample } from './jsonAccess.js';
import { findPreset, PRESETS } from './presets.js';
import { syslogPrefixLength } from './syslog.js';
import { UTC, zoneFromSpec, type Zone } from './zone.js';

export { LineFramer, type FramedLine, type LineFramerOptions } from './framing.js';
export { RecordAssembler, type FramedRecord, type RecordAssemblerOptions } from './records.js';
export { FormatError } from './formatError.js';
export { compileNginxLogFormat } from './nginxLogFormat.js';
export { compileApacheLogFormat } from './apacheLogFormat.js';
export { zoneFromSpec, type Zone } from './zone.js';

export interface FormatRequest {
  /** 'auto' (default), a preset name, or 'nginx' / 'apache' with `logFormat`. */
  format: string;
  /** A pasted nginx `log_format` or Apache `LogFormat` (with format 'nginx' / 'apache'). */
  logFormat?: string | undefined;
  /** The zone of timestamps written without one (IANA name or offset, see zone.ts); absent or empty: UTC. */
  tz?: string | undefined;
}

/** What the parser was built from: the format asked for, or what auto-detection chose and how sure it is. */
export interface DetectionSummary {
  /** The primary layout: the detected preset in auto mode, 'custom' for a log_format, the preset asked for. */
  format: string;
  /** 'low' when two layouts fit the sample and disagree on a field, or lines are read only by a catch-all. */
  confidence: 'high' | 'low';
  /** What detection was unsure of, one sentence each. */
  warnings: string[];
  /** Sample lines each layout reads first (auto mode; the primary first). */
  layouts: { name: string; lines: number }[];
}

export type { Detection, CandidateScore } from './detect.js';

export interface RecordParser {
  /** The resolved format: the detected preset in auto mode, 'custom' for a log_format. */
  readonly format: string;
  readonly detection: DetectionSummary;
  /** Never throws; a rejection carries a code of the fixed vocabulary, its phrase and this line's detail. */
  parse(text: string): ParseResult;
  /** False for continuation lines of multi-line records; true for every line of single-line formats. */
  startsRecord(line: string): boolean;
}

const AUTO = 'auto';
const CUSTOM = 'custom';
const DEFAULT_PRESET = 'nginx_combined';
/** JSON access records (jsonAccess.ts): detected in auto mode, or asked for; keys and units come from the sample. */
const JSON_FORMAT = 'json';

export interface FormatInfo {
  name: string;
  description: string;
  /** The layout as the server's configuration writes it; null for auto and the custom formats. */
  definition: string | null;
  /** One line in the layout; null for auto and the custom formats. */
  example: string | null;
}

export function listFormats(): FormatInfo[] {
  return [
    {
      name: AUTO,
      description: 'detect the layouts from lines spread through the file; a mixed file is read line by line with the layouts found',
      definition: null,
      example: null,
    },
    ...PRESETS.map((p) => ({ name: p.name, description: p.description, definition: p.definition, example: p.example })),
    {
      name: JSON_FORMAT,
      description: 'JSON access records, one object per line (nginx escape=json, Caddy, Traefik, ingress-nginx, Envoy): keys and units mapped from the sample (src/parse/README.md lists the keys)',
      definition: "log_format json escape=json '{\"time_iso8601\":\"$time_iso8601\",\"remote_addr\":\"$remote_addr\",\"request\":\"$request\",\"status\":\"$status\",\"body_bytes_sent\":\"$body_bytes_sent\",\"request_time\":\"$request_time\",\"http_referer\":\"$http_referer\",\"http_user_agent\":\"$http_user_agent\"}';",
      example: '{"time_iso8601":"2026-12-06T10:15:32+01:00","remote_addr":"203.0.113.7","request":"GET /api/orders/8812?page=2 HTTP/1.1","status":"200","body_bytes_sent":"5316","request_time":"0.052","http_referer":"https://example.com/","http_user_agent":"Mozilla/5.0 (X11; Linux x86_64)"}',
    },
    { name: 'nginx', description: 'a custom nginx log_format, given in logFormat', definition: null, example: null },
    { name: 'apache', description: 'a custom Apache LogFormat, given in logFormat', definition: null, example: null },
  ];
}

/**
 * The candidates auto-detection scores: every preset (a fresh parser each), and JSON access records
 * when the sample holds them (their key mapping and units are decided from the sample).
 */
function candidates(sampleLines: readonly string[], zone: Zone): Candidate[] {
  const presets: Candidate[] = PRESETS.map((p) => ({
    name: p.name,
    format: p.create(zone),
    fallbackOnly: p.fallbackOnly === true,
    ...(p.unitGroup !== undefined ? { unitGroup: p.unitGroup } : {}),
    ...(p.latencyResolutionMs !== undefined ? { latencyResolutionMs: p.latencyResolutionMs } : {}),
  }));
  const json = jsonAccessFromSample(sampleLines.map((l) => l.substring(syslogPrefixLength(l))), zone);
  if (json === null) return presets;
  return [{ name: JSON_FORMAT, format: json.format, fallbackOnly: false, warning: json.warning, mapping: json.mapping }, ...presets];
}

/** Auto-detection over sample lines, with every candidate's score: what `POST /formats/detect` shows. */
export function detectLayouts(sampleLines: readonly string[], zone: Zone = UTC): Detection {
  return detectFormat(sampleLines, candidates(sampleLines, zone), DEFAULT_PRESET);
}

/** Throws FormatError when the request names no known format or its logFormat does not compile. */
export function validateFormatRequest(req: FormatRequest): void {
  resolve(req);
}

/**
 * `sampleLines`: non-empty lines spread through the file (src/ingest/sampleLines.ts), used by format
 * 'auto'. Detection runs once here; parsing a line costs no more than the layouts it tries.
 */
export function createRecordParser(req: FormatRequest, sampleLines: readonly string[]): RecordParser {
  const zone = zoneFromSpec(req.tz);
  const resolved = resolve(req, zone);
  if (resolved === JSON_FORMAT) {
    // Asked for JSON: the keys and units still come from the sample; without JSON records in it, every line is rejected.
    const json = jsonAccessFromSample(sampleLines, zone);
    const format = json?.format ?? new NoJsonRecords();
    const summary = { format: JSON_FORMAT, confidence: json?.confidence ?? 'high', warnings: json?.warning ? [json.warning] : [], layouts: [] };
    return new ChainParser(new FormatChain(format, [], false), summary);
  }
  if (resolved !== null) {
    const summary = { format: resolved.name, confidence: 'high' as const, warnings: [], layouts: [] };
    return new ChainParser(new FormatChain(resolved, [], false), summary);
  }
  return parserFromDetection(detectLayouts(sampleLines, zone));
}

/** The parser auto mode builds from a detection: what `POST /formats/detect` reads its lines with, without detecting twice. */
export function parserFromDetection(d: Detection): RecordParser {
  return new ChainParser(d.chain, { format: d.primary, confidence: d.confidence, warnings: d.warnings, layouts: d.layouts });
}

/** The explicit format of a request, 'json' (built from the sample), or null for auto. */
function resolve(req: FormatRequest, zone?: Zone): LineFormat | typeof JSON_FORMAT | null {
  const name = (req.format ?? '').trim() || AUTO;
  const logFormat = req.logFormat ?? '';
  if (name === 'nginx' || name === 'apache') {
    if (logFormat.trim() === '') {
      throw new FormatError(`format '${name}' needs logFormat (the ${name === 'nginx' ? 'log_format' : 'LogFormat'} from your config); or use a preset such as ${name}_combined`);
    }
    return new LayoutFormat(name === 'nginx' ? compileNginxLogFormat(logFormat, CUSTOM) : compileApacheLogFormat(logFormat, CUSTOM), zone);
  }
  if (logFormat.trim() !== '') throw new FormatError(`logFormat is only used with format 'nginx' or 'apache', not '${name}'`);
  if (name === AUTO) return null;
  if (name === JSON_FORMAT) return JSON_FORMAT;
  const preset = findPreset(name);
  if (preset === undefined) {
    throw new FormatError(`unknown format '${name}'; known formats: ${listFormats().map((f) => f.name).join(', ')}`);
  }
  return preset.create(zone, false);
}

class ChainParser implements RecordParser {
  private readonly fail = newFailure();

  readonly format: string;

  constructor(
    private readonly chain: FormatChain,
    readonly detection: DetectionSummary,
  ) {
    this.format = detection.format;
  }

  parse(text: string): ParseResult {
    try {
      const record = this.chain.parseLine(text, this.fail);
      if (record !== null) return { ok: true, record };
      return rejection(this.fail.code, this.fail.detail);
    } catch (err) {
      return rejection('parser_error', err instanceof Error ? err.message : String(err));
    }
  }

  startsRecord(line: string): boolean {
    try {
      return this.chain.startsRecord(line);
    } catch {
      return true;
    }
  }
}

/** format=json on a sample without JSON access records: nothing to map keys from, so every line is rejected, saying why. */
class NoJsonRecords implements LineFormat {
  readonly name = JSON_FORMAT;
  readonly multiLine = false;

  parseLine(_text: string, fail: Failure): null {
    return failWith(fail, 'not_json', 'no JSON access records in the sample: format json needs lines that are JSON objects with a time and a status or request', 0);
  }

  startsRecord(): boolean {
    return true;
  }
}

function rejection(code: RejectionCode, detail: string): ParseResult {
  return { ok: false, code, reason: REJECTION_REASONS[code], detail };
}

/**
 * The parse layer: framing (bytes → lines → records) and formats (record text → LogRecord or a
 * rejection with a reason). src/ingest composes them:
 *   LineFramer → (skip empty lines) → RecordAssembler(parser.startsRecord) → parser.parse(record.text)
 */
import type { ParseResult } from '../domain/record.js';
import { compileApacheLogFormat } from './apacheLogFormat.js';
import { detectFormat, FormatChain, type Candidate, type Detection } from './detect.js';
import { FormatError } from './formatError.js';
import { LayoutFormat } from './layoutFormat.js';
import { newFailure, type LineFormat } from './lineFormat.js';
import { compileNginxLogFormat } from './nginxLogFormat.js';
import { findPreset, PRESETS } from './presets.js';
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
  /** Never throws; a rejection carries a short human reason. */
  parse(text: string): ParseResult;
  /** False for continuation lines of multi-line records; true for every line of single-line formats. */
  startsRecord(line: string): boolean;
}

const AUTO = 'auto';
const CUSTOM = 'custom';
const DEFAULT_PRESET = 'nginx_combined';

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
    { name: 'nginx', description: 'a custom nginx log_format, given in logFormat', definition: null, example: null },
    { name: 'apache', description: 'a custom Apache LogFormat, given in logFormat', definition: null, example: null },
  ];
}

/** The candidates auto-detection scores: every preset (a fresh parser each). */
function candidates(zone: Zone): Candidate[] {
  return PRESETS.map((p) => ({
    name: p.name,
    format: p.create(zone),
    fallbackOnly: p.fallbackOnly === true,
    ...(p.unitGroup !== undefined ? { unitGroup: p.unitGroup } : {}),
  }));
}

/** Auto-detection over sample lines, with every candidate's score: what `POST /formats/detect` shows. */
export function detectLayouts(sampleLines: readonly string[], zone: Zone = UTC): Detection {
  return detectFormat(sampleLines, candidates(zone), DEFAULT_PRESET);
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
  if (resolved !== null) {
    const summary = { format: resolved.name, confidence: 'high' as const, warnings: [], layouts: [] };
    return new ChainParser(new FormatChain(resolved, [], false), summary);
  }
  const d = detectLayouts(sampleLines, zone);
  return new ChainParser(d.chain, { format: d.primary, confidence: d.confidence, warnings: d.warnings, layouts: d.layouts });
}

/** The explicit format of a request, or null for auto. */
function resolve(req: FormatRequest, zone?: Zone): LineFormat | null {
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
  const preset = findPreset(name);
  if (preset === undefined) {
    throw new FormatError(`unknown format '${name}'; known formats: ${listFormats().map((f) => f.name).join(', ')}`);
  }
  return preset.create(zone);
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
      return { ok: false, reason: this.fail.reason };
    } catch (err) {
      return { ok: false, reason: `internal parser error: ${err instanceof Error ? err.message : String(err)}` };
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

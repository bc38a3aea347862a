/**
 * The parse layer: framing (bytes → lines → records) and formats (record text → LogRecord or a
 * rejection with a reason). src/ingest composes them:
 *   LineFramer → (skip empty lines) → RecordAssembler(parser.startsRecord) → parser.parse(record.text)
 */
import type { ParseResult } from '../domain/record.js';
import { compileApacheLogFormat } from './apacheLogFormat.js';
import { detectFormat, FormatChain } from './detect.js';
import { FormatError } from './formatError.js';
import { LayoutFormat } from './layoutFormat.js';
import { newFailure, type LineFormat } from './lineFormat.js';
import { compileNginxLogFormat } from './nginxLogFormat.js';
import { findPreset, PRESETS } from './presets.js';

export { LineFramer, type FramedLine, type LineFramerOptions } from './framing.js';
export { RecordAssembler, type FramedRecord, type RecordAssemblerOptions } from './records.js';
export { FormatError } from './formatError.js';
export { compileNginxLogFormat } from './nginxLogFormat.js';
export { compileApacheLogFormat } from './apacheLogFormat.js';

export interface FormatRequest {
  /** 'auto' (default), a preset name, or 'nginx' / 'apache' with `logFormat`. */
  format: string;
  /** A pasted nginx `log_format` or Apache `LogFormat` (with format 'nginx' / 'apache'). */
  logFormat?: string | undefined;
}

export interface RecordParser {
  /** The resolved format: the detected preset in auto mode, 'custom' for a log_format. */
  readonly format: string;
  /** Never throws; a rejection carries a short human reason. */
  parse(text: string): ParseResult;
  /** False for continuation lines of multi-line records; true for every line of single-line formats. */
  startsRecord(line: string): boolean;
}

const AUTO = 'auto';
const CUSTOM = 'custom';
const DEFAULT_PRESET = 'nginx_combined';

export function listFormats(): { name: string; description: string }[] {
  return [
    { name: AUTO, description: 'detect the preset from the first lines; lines it rejects are tried with the other presets' },
    ...PRESETS.map((p) => ({ name: p.name, description: p.description })),
    { name: 'nginx', description: 'a custom nginx log_format, given in logFormat' },
    { name: 'apache', description: 'a custom Apache LogFormat, given in logFormat' },
  ];
}

/** Throws FormatError when the request names no known format or its logFormat does not compile. */
export function validateFormatRequest(req: FormatRequest): void {
  resolve(req);
}

/** `sampleLines`: the first (up to ~200) non-empty lines, used by format 'auto'. */
export function createRecordParser(req: FormatRequest, sampleLines: string[]): RecordParser {
  const resolved = resolve(req);
  if (resolved !== null) return new ChainParser(new FormatChain(resolved, [], false), resolved.name);
  const d = detectFormat(sampleLines, PRESETS, DEFAULT_PRESET);
  const chain = new FormatChain(d.primary.create(), d.fallbacks.map((p) => p.create()), d.syslogFirst);
  return new ChainParser(chain, d.primary.name);
}

/** The explicit format of a request, or null for auto. */
function resolve(req: FormatRequest): LineFormat | null {
  const name = (req.format ?? '').trim() || AUTO;
  const logFormat = req.logFormat ?? '';
  if (name === 'nginx' || name === 'apache') {
    if (logFormat.trim() === '') {
      throw new FormatError(`format '${name}' needs logFormat (the ${name === 'nginx' ? 'log_format' : 'LogFormat'} from your config); or use a preset such as ${name}_combined`);
    }
    return new LayoutFormat(name === 'nginx' ? compileNginxLogFormat(logFormat, CUSTOM) : compileApacheLogFormat(logFormat, CUSTOM));
  }
  if (logFormat.trim() !== '') throw new FormatError(`logFormat is only used with format 'nginx' or 'apache', not '${name}'`);
  if (name === AUTO) return null;
  const preset = findPreset(name);
  if (preset === undefined) {
    throw new FormatError(`unknown format '${name}'; known formats: ${listFormats().map((f) => f.name).join(', ')}`);
  }
  return preset.create();
}

class ChainParser implements RecordParser {
  private readonly fail = newFailure();

  constructor(
    private readonly chain: FormatChain,
    readonly format: string,
  ) {}

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

/**
 * Issue 14's acceptance at the parse layer: for every common access-log format, generated from its
 * official definition (bench/formatCorpus.ts), the parser that `format=auto` builds stores every
 * field of every line right — latency in its server's units included — or says it could not decide.
 * Each format (and each mixed file: plain and timed lines in one file) is its own test, so a failure
 * names the format and the fields it got wrong.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleLines } from './sampleLines.js';
import { formatCorpus, MIXED_FILES, SINGLE_FORMATS, type CorpusLine } from '../../bench/formatCorpus.js';
import { formatDefinition } from '../../bench/formatDefinitions.js';
import { formatString } from '../../bench/formatRender.js';
import { fidelityProblems, warningNamesEvery, type Outcome } from '../../test/helpers/formatFidelity.js';
import { createRecordParser, type RecordParser } from '../parse/index.js';

const SINGLE_FORMAT_LINES = 300;
/** Mixed files need room for their parts: mixed_apache_plain_head is 300 plain lines, then timed ones. */
const MIXED_FILE_LINES = 600;
const MAX_LINE_BYTES = 64 * 1024;

/** The parser ingestion builds for format=auto: the file's sample (head and windows spread through it, src/ingest/sampleLines.ts). */
function autoParserFor(lines: readonly string[]): RecordParser {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fidelity-')), 'access.log');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  const fd = fs.openSync(file, 'r');
  try {
    const sample = sampleLines(fd, MAX_LINE_BYTES);
    return createRecordParser({ format: 'auto' }, [...sample.head, ...sample.spread]);
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path.dirname(file), { recursive: true });
  }
}

function detectionOf(parser: RecordParser): { confidence: string; warning: string } {
  return { confidence: parser.detection.confidence, warning: parser.detection.warnings.join(' ') };
}

function outcomesOf(parser: RecordParser, lines: readonly CorpusLine[]): Outcome[] {
  return lines.map((line): Outcome => {
    const r = parser.parse(line.text);
    if (!r.ok) return { rejected: `${r.reason}: ${r.detail}` };
    const rec = r.record;
    return {
      record: {
        timestampMs: rec.timestamp, status: rec.statusCode, latencyMs: rec.latencyMs, bytes: rec.bytesSent, method: rec.method,
        endpoint: rec.endpoint, protocol: rec.protocol, userAgent: rec.userAgent, referer: rec.referer, host: rec.host, client: rec.clientIp,
      },
    };
  });
}

/** Checks every field of every line; returns the parser for further questions. */
function check(name: string, count: number): RecordParser {
  const corpus = formatCorpus(name, count);
  const parser = autoParserFor(corpus.lines.map((l) => l.text));
  const problems = fidelityProblems(corpus.lines, outcomesOf(parser, corpus.lines));
  const detection = detectionOf(parser);
  // Issue 14's other acceptable answer: detection says it is unsure, naming each field it may get wrong.
  if (problems.length === 0 || detection.confidence !== 'low' || !warningNamesEvery(detection.warning, problems)) {
    expect(problems.map((p) => p.summary), `detected as ${parser.format}`).toEqual([]);
  }
  return parser;
}

describe('format=auto stores every field of every line as the format wrote it', () => {
  it.each(SINGLE_FORMATS)('%s', (name) => {
    const parser = check(name, SINGLE_FORMAT_LINES);
    const reportedAs = formatDefinition(name).reportedAs;
    if (reportedAs !== undefined) expect(parser.format).toBe(reportedAs);
  });

  it.each(MIXED_FILES.map((m) => [m.name, m.description]))('%s: %s', (name) => {
    check(name, MIXED_FILE_LINES);
  });
});

describe('the corpus', () => {
  // The control: with the definition pasted, today's parsers read every line right, so a failure above is
  // detection's, not the corpus's. Apache's compiler reads the LogFormat directive, not CustomLog's inline
  // format (mod_ssl's ssl_request_log), so that one is given as its bare format string.
  it.each(SINGLE_FORMATS.filter((n) => formatDefinition(n).server !== 'traefik'))('%s, with its definition pasted, is read right', (name) => {
    const def = formatDefinition(name);
    const corpus = formatCorpus(name, SINGLE_FORMAT_LINES);
    const logFormat = def.directive.startsWith('CustomLog') ? formatString(def) : def.directive;
    const parser = createRecordParser({ format: def.server, logFormat }, []);
    expect(fidelityProblems(corpus.lines, outcomesOf(parser, corpus.lines)).map((p) => p.summary)).toEqual([]);
  });

  it('is deterministic and writes each format from its definition, one line per record', () => {
    const a = formatCorpus('nginx_upstream_time', 50);
    expect(formatCorpus('nginx_upstream_time', 50).text).toBe(a.text);
    expect(a.text.split('\n')).toHaveLength(51);
    // The NGINX docs' definition has no space between the user agent and rt=.
    for (const line of a.lines) expect(line.text).toMatch(/" "[^]*"rt=\d+\.\d{3} uct="[^"]*" uht="[^"]*" urt="[^"]*"$/);
  });

  it('states latency in what each unit can say: nginx ms, %D µs, %T whole seconds', () => {
    const timed = formatCorpus('nginx_combined_rt', 300).lines;
    expect(timed.every((l) => Number.isInteger(l.truth.latencyMs) && l.text.endsWith(` ${(l.truth.latencyMs! / 1000).toFixed(3)}`))).toBe(true);
    const seconds = formatCorpus('apache_combined_T', 300).lines;
    expect(seconds.every((l) => l.text.endsWith(` ${l.truth.latencyMs! / 1000}`))).toBe(true);
    expect(seconds.some((l) => l.truth.latencyMs! >= 1000)).toBe(true);
    const micro = formatCorpus('apache_combined_D', 300).lines;
    expect(micro.every((l) => l.text.endsWith(` ${Math.round(l.truth.latencyMs! * 1000)}`))).toBe(true);
    const all = micro.map((l) => l.truth.latencyMs!);
    expect(Math.min(...all)).toBeLessThan(1);
    expect(Math.max(...all)).toBeGreaterThan(1000);
  });
});

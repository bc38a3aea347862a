import type { FormatPreview, PreviewLine, PreviewRecord } from '../domain/formatDetection.js';
import type { LogRecord } from '../domain/record.js';
import { REJECTION_REASONS } from '../domain/rejection.js';
import { isBlank } from '../ingest/sampleLines.js';
import { anchorOf, implausibleTime, implausibleTimeDetail } from '../ingest/plausibleTime.js';
import {
  createRecordParser, detectLayouts, parserFromDetection, RecordAssembler, zoneFromSpec, type FormatRequest, type RecordParser,
} from '../parse/index.js';

/**
 * What an upload of these lines would do, line by line: with format `auto`, auto-detection over the lines
 * (every candidate's score) and the parser it builds; with another format, that format. The request has
 * been validated (validateFormatRequest, zoneFromSpec). Ingestion's own steps
 * are repeated where they decide a line's fate: multi-line records (RecordAssembler), empty lines, and
 * the timestamp bounds (anchored on these lines, as a job anchors on its sample).
 */
export function previewFormat(lines: readonly string[], req: FormatRequest, nowMs: number): FormatPreview {
  const auto = (req.format.trim() || 'auto') === 'auto';
  const content = lines.filter((l) => !isBlank(l));
  let parser: RecordParser;
  let candidates: FormatPreview['candidates'] = [];
  if (auto) {
    const detection = detectLayouts(content, zoneFromSpec(req.tz));
    parser = parserFromDetection(detection);
    const roleRank = (role: string) => (role === 'primary' ? 0 : 1);
    // Stable: equal scores keep the presets' tie-break order.
    candidates = [...detection.candidates].sort((a, b) => roleRank(a.role) - roleRank(b.role) || b.parsed - a.parsed);
  } else {
    parser = createRecordParser(req, content);
  }

  const out: PreviewLine[] = lines.map((_, i) => ({ line_no: i + 1, outcome: 'skipped', layout: null, record: null, code: null, reason: null, detail: null }));
  const parsed: { index: number; record: LogRecord }[] = [];
  const assembler = new RecordAssembler((line) => parser.startsRecord(line));
  const take = (records: ReturnType<RecordAssembler['push']>) => {
    for (const rec of records) {
      const at = out[rec.lineNo - 1]!;
      const result = parser.parse(rec.text);
      if (result.ok) parsed.push({ index: rec.lineNo - 1, record: result.record });
      else Object.assign(at, { outcome: 'rejected', code: result.code, reason: result.reason, detail: result.detail });
    }
  };
  let byte = 0;
  lines.forEach((text, i) => {
    const byteEnd = byte + Buffer.byteLength(text) + 1;
    if (!isBlank(text)) {
      const done = assembler.push({ text, lineNo: i + 1, byteStart: byte, byteEnd, tooLong: false });
      take(done);
      // The line starts a record unless the assembler kept the one before it pending and grew it.
      if (assembler.pendingStart()?.lineNo !== i + 1) out[i]!.outcome = 'continuation';
    }
    byte = byteEnd;
  });
  take(assembler.flush());

  const bounds = { anchorMs: anchorOf(parsed.map((p) => p.record.timestamp)), nowMs };
  for (const { index, record } of parsed) {
    const at = out[index]!;
    at.layout = record.layout;
    const implausible = implausibleTime(record.timestamp, bounds);
    if (implausible !== null) {
      const detail = implausibleTimeDetail(implausible, record.timestamp, bounds);
      Object.assign(at, { outcome: 'rejected', code: implausible, reason: REJECTION_REASONS[implausible], detail });
    }
    else Object.assign(at, { outcome: 'record', record: toPreviewRecord(record) });
  }

  const layouts = auto ? parser.detection.layouts : countLayouts(parsed.map((p) => p.record.layout));
  const { format, confidence, warnings } = parser.detection;
  return { format, confidence, warnings, layouts, candidates, lines: out };
}

function countLayouts(names: (string | null)[]): { name: string; lines: number }[] {
  const counts = new Map<string, number>();
  for (const n of names) if (n !== null) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([name, lines]) => ({ name, lines })).sort((a, b) => b.lines - a.lines);
}

function toPreviewRecord(r: LogRecord): PreviewRecord {
  return {
    timestamp: new Date(r.timestamp).toISOString(),
    log_level: r.level,
    status_code: r.statusCode,
    method: r.method,
    endpoint: r.endpoint,
    protocol: r.protocol,
    latency_ms: finite(r.latencyMs),
    client_ip: r.clientIp,
    bytes_sent: finite(r.bytesSent),
    user_agent: r.userAgent,
    referer: r.referer,
    host: r.host,
    message: r.message,
  };
}

function finite(n: number | null): number | null {
  return n !== null && Number.isFinite(n) ? n : null;
}

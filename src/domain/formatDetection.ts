import type { LogRow } from './record.js';

/**
 * What `GET /formats` and `POST /formats/detect` answer. The dashboard reads these too (src/ui imports
 * this file's types), so it imports nothing but record.ts, which imports nothing.
 */

/** One entry of `GET /formats`. */
export interface FormatDoc {
  name: string;
  description: string;
  /** The layout as the server's configuration writes it; null for auto and the custom formats. */
  definition: string | null;
  /** One line in the layout; null for auto and the custom formats. */
  example: string | null;
}

export interface FormatList {
  items: FormatDoc[];
  /** Longer lines are rejected (MAX_LINE_BYTES); `POST /formats/detect` refuses them. */
  max_line_bytes: number;
}

/** A record's fields as `GET /logs` names them (LogRow), without what only storage gives (id, source, job, line, layout). */
export type PreviewRecord = Omit<LogRow, 'id' | 'source' | 'job_id' | 'line_no' | 'line_count' | 'raw_log' | 'layout' | 'route'>;

export interface PreviewLine {
  line_no: number;
  /**
   * record: stored as `record`; rejected: kept as a rejected line with `reason`; continuation: joined to
   * the record above it (multi-line nginx error records); skipped: an empty line, counted and not stored.
   */
  outcome: 'record' | 'rejected' | 'continuation' | 'skipped';
  /** The layout that read the line; null when none did. */
  layout: string | null;
  record: PreviewRecord | null;
  /** For a rejected line: the reason's code and phrase (src/domain/rejection.ts), and where and what in this line. */
  code: string | null;
  reason: string | null;
  detail: string | null;
}

export interface CandidateRole {
  name: string;
  /** Lines this layout reads on its own. */
  parsed: number;
  role: 'primary' | 'fallback' | 'catch-all' | 'unused' | 'outvoted';
  note: string | null;
}

/** The answer of `POST /formats/detect`. */
export interface FormatPreview {
  format: string;
  confidence: 'high' | 'low';
  warnings: string[];
  layouts: { name: string; lines: number }[];
  candidates: CandidateRole[];
  lines: PreviewLine[];
}

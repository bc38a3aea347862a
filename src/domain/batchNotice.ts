/** The NOTIFY channel on which every committed ingest batch announces itself (to live tails). */
export const BATCH_CHANNEL = 'log_batches';

/**
 * What a committed batch stored in `logs`: the lines of one job it covers and the span of its
 * records' timestamps. Enough to read exactly its rows back cheaply: `logs` is partitioned and keyed
 * by timestamp, with no index on job_id, so the timestamp bounds are what keep that read small.
 */
export interface BatchNotice {
  job_id: string;
  source: string;
  /** Records of the batch have line_no in first_line..last_line (inclusive). */
  first_line: number;
  last_line: number;
  /** ISO 8601, the batch's earliest and latest record timestamp. */
  min_timestamp: string;
  max_timestamp: string;
}

/** A NOTIFY payload → a notice, or null when it is not one (another writer on the channel, an older version). */
export function parseBatchNotice(payload: string): BatchNotice | null {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const n = v as Record<string, unknown>;
  const ok = typeof n.job_id === 'string' && typeof n.source === 'string'
    && Number.isSafeInteger(n.first_line) && Number.isSafeInteger(n.last_line)
    && typeof n.min_timestamp === 'string' && !Number.isNaN(Date.parse(n.min_timestamp))
    && typeof n.max_timestamp === 'string' && !Number.isNaN(Date.parse(n.max_timestamp));
  return ok ? (n as unknown as BatchNotice) : null;
}

import type { Queryable } from '../db/db.js';
import type { LiveJournal } from './journal.js';
import type { LiveProtocol } from './segments.js';
import type { LiveStatus } from './silenceRule.js';

/** How a source's lines came: a live protocol, or `upload` (POST /logs/upload, `loginsights ingest`). */
export type SourceProtocol = LiveProtocol | 'upload';

/** Every protocol a row may name, in words. A record over the type: a protocol added to LiveProtocol must be added here. */
export const SOURCE_PROTOCOLS: Readonly<Record<SourceProtocol, string>> = {
  'syslog-udp': 'syslog over UDP', 'syslog-tcp': 'syslog over TCP', elasticsearch: 'Elasticsearch `_bulk`', loki: 'Loki push',
  otlp: 'OpenTelemetry OTLP/HTTP', ship: '`loginsights ship` (POST /ingest/stream)', upload: 'uploaded files',
};

export interface SourceStatus {
  source: string;
  protocol: SourceProtocol;
  first_seen: string;
  last_seen: string | null;
  lines_received: number | null;
  lines_per_sec: number | null;
  lines_processed: number;
  lines_rejected: number;
  lag_bytes: number;
  lines_dropped: number;
  refusals: number;
  last_error: { at: string; message: string } | null;
  status: LiveStatus;
}

interface StoredSource {
  source: string;
  protocol: SourceProtocol;
  first_seen: string;
  last_seen: string;
  lines_processed: number;
  lines_rejected: number;
  lag_bytes: number;
  error: string | null;
  error_at: string | null;
}

/**
 * Every (source, protocol) that has sent lines, from what the database keeps of its jobs and what
 * this process's journal saw arrive since it started (`journal`: none in a process that does not
 * ingest). The database says who ever sent, how many lines were parsed and rejected, and the bytes of
 * sealed segments and uploads not parsed yet; the journal adds what only memory knows: the last
 * arrival to the millisecond, the rate, refusals, the backlog of its open segments, and the status.
 */
export async function listSourceStatus(db: Queryable, journal: LiveJournal | undefined): Promise<SourceStatus[]> {
  const open = journal?.openSegments() ?? [];
  const stored = await storedSources(db, open.map((s) => s.jobId));
  const items = new Map<string, SourceStatus>();
  const keyOf = (source: string, protocol: SourceProtocol): string => JSON.stringify([source, protocol]);
  for (const r of stored) {
    items.set(keyOf(r.source, r.protocol), {
      source: r.source, protocol: r.protocol, first_seen: r.first_seen, last_seen: r.last_seen, lines_received: null, lines_per_sec: null,
      lines_processed: r.lines_processed, lines_rejected: r.lines_rejected, lag_bytes: r.lag_bytes, lines_dropped: 0, refusals: 0,
      last_error: r.error === null ? null : { at: r.error_at ?? r.last_seen, message: r.error }, status: 'idle',
    });
  }
  for (const a of journal?.activity.snapshot() ?? []) {
    const key = keyOf(a.source, a.protocol);
    const firstArrival = new Date(a.firstArrivalAt).toISOString();
    const item = items.get(key) ?? {
      source: a.source, protocol: a.protocol, first_seen: firstArrival, last_seen: null, lines_received: null, lines_per_sec: null,
      lines_processed: 0, lines_rejected: 0, lag_bytes: 0, lines_dropped: 0, refusals: 0, last_error: null, status: 'idle',
    };
    item.first_seen = earlier(item.first_seen, firstArrival);
    if (a.lastReceivedAt !== null) item.last_seen = later(item.last_seen, new Date(a.lastReceivedAt).toISOString());
    item.lines_received = a.linesReceived;
    item.lines_per_sec = Math.round(a.linesPerSec * 100) / 100;
    item.lines_dropped = a.linesDropped;
    item.refusals = a.refusals;
    if (a.lastError && (item.last_error === null || a.lastError.at >= Date.parse(item.last_error.at))) {
      item.last_error = { at: new Date(a.lastError.at).toISOString(), message: a.lastError.message };
    }
    item.status = a.status;
    items.set(key, item);
  }
  for (const s of open) {
    const item = items.get(keyOf(s.source, s.protocol));
    if (item) item.lag_bytes += s.backlogBytes;
  }
  return [...items.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0));
}

/**
 * Per (source, protocol), from the jobs: an upload's time is its creation, a live segment's is when
 * its first line arrived (it is begun by an append), so `last_seen` is at most a segment's age (an
 * hour) early for a source this process has not heard from; a `ship` stream's last batch is recorded
 * to the moment (live_streams). The lag counts the unparsed bytes of uploads and of sealed segments;
 * an open segment's size is known only to the process appending to it (`openJobIds`, ours, left out
 * here and counted from memory). The last error is that of the newest job that has one.
 */
async function storedSources(db: Queryable, openJobIds: readonly string[]): Promise<StoredSource[]> {
  const res = await db.query<StoredSource>(
    `WITH jobs AS (
       SELECT source, coalesce(live_protocol, 'upload') AS protocol, id, created_at, lines_processed, lines_rejected, error,
              coalesce(finished_at, started_at, created_at) AS error_at,
              CASE WHEN status IN ('queued', 'running') AND (live_protocol IS NULL OR sealed_at IS NOT NULL) AND id <> ALL($1::uuid[])
                   THEN greatest(bytes_total - bytes_processed, 0) ELSE 0 END AS lag_bytes
         FROM ingest_jobs
     ), per_source AS (
       SELECT source, protocol, min(created_at) AS first_seen, max(created_at) AS last_seen,
              sum(lines_processed)::bigint AS lines_processed, sum(lines_rejected)::bigint AS lines_rejected, sum(lag_bytes)::bigint AS lag_bytes
         FROM jobs GROUP BY source, protocol
     ), last_error AS (
       SELECT DISTINCT ON (source, protocol) source, protocol, error, error_at
         FROM jobs WHERE error IS NOT NULL ORDER BY source, protocol, created_at DESC
     ), streams AS (
       SELECT source, 'ship' AS protocol, min(first_seen) AS first_seen, max(last_seen) AS last_seen FROM live_streams GROUP BY source
     )
     SELECT p.source, p.protocol, least(p.first_seen, s.first_seen) AS first_seen, greatest(p.last_seen, s.last_seen) AS last_seen,
            p.lines_processed, p.lines_rejected, p.lag_bytes, e.error, e.error_at
       FROM per_source p
       LEFT JOIN streams s USING (source, protocol)
       LEFT JOIN last_error e USING (source, protocol)`,
    [openJobIds],
  );
  return res.rows;
}

function earlier(a: string, b: string): string {
  return Date.parse(b) < Date.parse(a) ? b : a;
}

function later(a: string | null, b: string): string {
  return a === null || Date.parse(b) > Date.parse(a) ? b : a;
}

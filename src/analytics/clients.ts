import type { Queryable } from '../db/db.js';
import { rangeConditions, whereClause, type FactFilter } from './facts.js';
import { pct } from './summary.js';

export interface ClientRow {
  client_ip: string;
  count: number;
  errors: number;
  client_errors: number;
  error_rate_pct: number;
  bytes: number;
}

/**
 * The busiest client addresses of a range with their error share. Client addresses are not in the
 * rollups (one row per address would make them as large as the logs), so this reads the raw rows.
 */
export async function getTopClients(db: Queryable, p: FactFilter & { limit: number }): Promise<{ items: ClientRow[]; source_of_truth: 'raw' }> {
  const params: unknown[] = [p.limit];
  const where = whereClause([...rangeConditions('timestamp', p.startMs, p.endMs, p, params), 'client_ip IS NOT NULL']);
  const res = await db.query<{ client_ip: string; n: number; errors: number; client_errors: number; bytes: number | null }>(
    `SELECT client_ip, count(*) AS n, count(*) FILTER (WHERE status_code >= 500) AS errors,
            count(*) FILTER (WHERE status_code BETWEEN 400 AND 499) AS client_errors, sum(bytes_sent) AS bytes
     FROM logs ${where}
     GROUP BY client_ip ORDER BY n DESC, client_ip LIMIT $1`,
    params,
  );
  return {
    items: res.rows.map((r) => ({
      client_ip: r.client_ip, count: r.n, errors: r.errors, client_errors: r.client_errors,
      error_rate_pct: pct(r.errors, r.n), bytes: r.bytes ?? 0,
    })),
    source_of_truth: 'raw',
  };
}

import type { Queryable } from '../db/db.js';
import type { LoadedRule } from './rule.js';
import { recordsQuery } from './series.js';

/** What made an episode: sample lines and the largest contributors of its firing window. */
export interface Evidence {
  samples: { timestamp: string; raw_log: string }[];
  top_routes: { value: string; count: number }[];
  top_clients: { value: string; count: number }[];
  top_status_codes: { value: string; count: number }[];
}

const SAMPLES = 5;
const TOP = 3;

/** The evidence of a window [fromMs, toMs): the rule's matching raw rows, sampled and ranked. */
export async function collectEvidence(db: Queryable, rule: LoadedRule, fromMs: number, toMs: number): Promise<Evidence> {
  const q = recordsQuery(rule.recordFilter, fromMs, toMs, { forceRaw: true });
  const where = `${q.where} AND ${q.match}`;
  const samples = await db.query<{ timestamp: string; raw_log: string }>(
    `SELECT timestamp, raw_log FROM logs WHERE ${where} ORDER BY timestamp, id LIMIT ${SAMPLES}`, q.params,
  );
  // GROUPING() sets a bit per column left out: 3 = route kept, 5 = client_ip kept, 6 = status_code kept.
  // In each grouping set the other two columns are NULL, so the coalesce is the kept one's value.
  // Ranked and cut in SQL: a window may hold any number of routes and clients, and TOP of each come back.
  const value = 'coalesce(route, client_ip, status_code::text)';
  const groups = await db.query<{ g: number; v: string; n: number }>(
    `SELECT g, v, n FROM (
       SELECT GROUPING(route, client_ip, status_code) AS g, ${value} AS v, count(*) AS n,
              row_number() OVER (PARTITION BY GROUPING(route, client_ip, status_code), ${value} IS NULL
                                 ORDER BY count(*) DESC, ${value} COLLATE "C") AS rank
       FROM logs WHERE ${where} GROUP BY GROUPING SETS ((route), (client_ip), (status_code))
     ) AS ranked
     WHERE v IS NOT NULL AND rank <= ${TOP} ORDER BY g, rank`,
    q.params,
  );
  const top = (g: number): { value: string; count: number }[] =>
    groups.rows.filter((r) => r.g === g).map((r) => ({ value: r.v, count: Number(r.n) }));
  return {
    samples: samples.rows.map((r) => ({ timestamp: new Date(r.timestamp).toISOString(), raw_log: r.raw_log })),
    top_routes: top(3),
    top_clients: top(5),
    top_status_codes: top(6),
  };
}

import type { Queryable } from '../db/db.js';
import type { Rule } from './rule.js';
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
export async function collectEvidence(db: Queryable, rule: Rule, fromMs: number, toMs: number): Promise<Evidence> {
  const q = recordsQuery(rule.filter, fromMs, toMs, { forceRaw: true });
  const where = `${q.where} AND ${q.match}`;
  const samples = await db.query<{ timestamp: string; raw_log: string }>(
    `SELECT timestamp, raw_log FROM logs WHERE ${where} ORDER BY timestamp, id LIMIT ${SAMPLES}`, q.params,
  );
  const groups = await db.query<{ route: string | null; client_ip: string | null; status_code: number | null; g: number; n: number }>(
    `SELECT route, client_ip, status_code, GROUPING(route, client_ip, status_code) AS g, count(*) AS n
     FROM logs WHERE ${where} GROUP BY GROUPING SETS ((route), (client_ip), (status_code))`,
    q.params,
  );
  // GROUPING() sets a bit per column left out: 3 = route kept, 5 = client_ip kept, 6 = status_code kept.
  const top = (g: number, pick: (r: (typeof groups.rows)[number]) => string | number | null): { value: string; count: number }[] =>
    groups.rows
      .filter((r) => r.g === g && pick(r) !== null)
      .sort((a, b) => b.n - a.n || String(pick(a)).localeCompare(String(pick(b))))
      .slice(0, TOP)
      .map((r) => ({ value: String(pick(r)), count: Number(r.n) }));
  return {
    samples: samples.rows.map((r) => ({ timestamp: new Date(r.timestamp).toISOString(), raw_log: r.raw_log })),
    top_routes: top(3, (r) => r.route),
    top_clients: top(5, (r) => r.client_ip),
    top_status_codes: top(6, (r) => r.status_code),
  };
}

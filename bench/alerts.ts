/**
 * Alert evaluation at scale: N enabled rules of every kind (default 1,000) over the stored data,
 * live ticks timed one after another, each advancing event time by a minute. Run by `npm run bench`
 * after the analytics section, or alone on an existing database:
 *
 *   node dist/bench/alerts.js --database-url postgresql://postgres@127.0.0.1:5432/DB [--rules 1000] [--ticks 5]
 */
import path from 'node:path';
import { evaluateLive } from '../src/alerts/evaluator.js';
import type { Rule } from '../src/alerts/rule.js';
import { ruleSchema } from '../src/alerts/rule.js';
import { createRule } from '../src/alerts/ruleStore.js';
import type { Db } from '../src/db/db.js';
import { openPostgres } from '../src/db/postgres.js';
import { summarize, type Summary } from './stats.js';

export interface AlertBenchFigure {
  rules: number;
  /** Per kind, how many of the rules. */
  kinds: Record<string, number>;
  /** Wall time of one live tick over all rules, ms. */
  tick: Summary | null;
  newEpisodes: number;
}

/** N rules, in proportions a site might have: mostly counts and ratios, some latency, a few of the rest. */
export function benchRules(n: number, routes: string[]): Rule[] {
  const rules: Rule[] = [];
  const statuses = ['500', '5xx', '404', '502,503', '4xx'];
  for (let i = 0; i < n; i++) {
    const route = routes[i % routes.length];
    const k = i % 20;
    const base = { name: `bench rule ${i}`, window: ['5m', '15m', '1h'][i % 3], severity: 'warning' };
    const body =
      k < 8 ? { ...base, kind: 'count', filter: { status_code: statuses[i % statuses.length], ...(i % 2 ? { route } : {}) }, operator: '>', threshold: 50 + i } :
      k < 12 ? { ...base, kind: 'ratio', filter: { status_code: '5xx', ...(i % 2 ? { route } : {}) }, operator: '>', threshold: 5, min_requests: 20 } :
      k < 16 ? { ...base, kind: 'latency', filter: { route }, operator: '>', threshold: 500 + i, percentile: i % 2 ? 'p95' : 'p99' } :
      k < 18 ? { ...base, kind: 'absence', filter: { route }, threshold: 1 } :
      k < 19 ? { ...base, kind: 'anomaly', filter: { status_code: '5xx' }, window: '5m' } :
      { ...base, kind: 'new_value', field: i % 2 ? 'route' : 'status_code' };
    rules.push(ruleSchema.parse(body));
  }
  return rules;
}

/** Creates the rules, then times `ticks` live ticks from the minute after the last stored record. */
export async function measureAlertEvaluation(db: Db, opts: { rules: number; ticks: number; log: (m: string) => void }): Promise<AlertBenchFigure> {
  const last = await db.query<{ t: string | null }>('SELECT max(timestamp) AS t FROM logs');
  const routes = await db.query<{ route: string }>('SELECT route FROM route_rollups_1d WHERE route IS NOT NULL GROUP BY route ORDER BY sum(requests) DESC LIMIT 50');
  const rules = benchRules(opts.rules, routes.rows.map((r) => r.route));
  await db.query('DELETE FROM alert_rules');
  for (const r of rules) await createRule(db, r);
  const kinds: Record<string, number> = {};
  for (const r of rules) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
  const startMs = Date.parse(last.rows[0]?.t ?? new Date().toISOString()) + 60_000;
  const samples: number[] = [];
  let newEpisodes = 0;
  // Tick 0 creates every rule's state; the timed ticks then each evaluate one new minute per rule.
  for (let i = 0; i <= opts.ticks; i++) {
    const t0 = performance.now();
    const r = await evaluateLive(db, startMs + i * 60_000, { notifyMaxAgeMs: 15 * 60_000 });
    const ms = performance.now() - t0;
    if (r === null) throw new Error('another process holds the alert evaluation lock');
    if (i > 0) samples.push(ms);
    newEpisodes += r.newEpisodes;
    opts.log(`alerts: tick ${i}: ${r.rules} rules, ${r.steps} steps, ${Math.round(ms)} ms`);
  }
  return { rules: rules.length, kinds, tick: summarize(samples), newEpisodes };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const arg = (name: string, fallback?: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const url = arg('database-url');
  if (!url) throw new Error('--database-url is required');
  const db = await openPostgres({ connectionString: url, statementTimeoutMs: 0 });
  try {
    const fig = await measureAlertEvaluation(db, { rules: Number(arg('rules', '1000')), ticks: Number(arg('ticks', '5')), log: (m) => console.error(m) });
    console.log(JSON.stringify(fig, null, 2));
  } finally {
    await db.close();
  }
}

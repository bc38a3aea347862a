import { InvalidArgumentError } from 'commander';
import type { Config } from '../config/config.js';
import { migrate } from '../db/migrator.js';
import { openDb } from '../db/open.js';
import { rebuildRollups, rebuildRoutes, type RebuildOptions } from '../ingest/rebuildRollups.js';
import { listRouteRules } from '../ingest/routeRules.js';
import { RouteNormaliser } from '../parse/routes.js';
import { dataDirUse } from './dataDirUse.js';

/** commander parser for --from / --to: an ISO 8601 date or timestamp. */
export function parseDateOption(value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`not an ISO 8601 date or timestamp: '${value}'`);
  return d;
}

/**
 * Why --from and --to make no range, as one line naming both; undefined when they make one. An empty
 * range would rebuild nothing and say so in a way that reads like success.
 */
export function rebuildRangeProblem(range: RebuildOptions): string | undefined {
  const { from, to } = range;
  if (from && to && from >= to) return `--from (${from.toISOString()}) must be before --to (${to.toISOString()}), which is exclusive`;
  return undefined;
}

/**
 * `loginsights rollups rebuild` and `loginsights routes rebuild`: open the database directly (with
 * PGlite, a running server holds its data directory and the command is refused) and recompute day by day.
 */
export async function runRebuild(config: Readonly<Config>, what: 'rollups' | 'routes', range: RebuildOptions): Promise<void> {
  const db = await openDb(config, dataDirUse(`${what} rebuild`));
  try {
    await migrate(db);
    const started = Date.now();
    const onDay = (day: string, rows: number): void => console.log(`${day}: ${rows.toLocaleString('en-US')} rows rolled up`);
    if (what === 'rollups') {
      const res = await rebuildRollups(db, { ...range, onDay });
      console.log(`rebuilt the rollups of ${res.days.length} day(s) from ${res.rows.toLocaleString('en-US')} rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } else {
      const rules = [...config.routeRules, ...(await listRouteRules(db))];
      const res = await rebuildRoutes(db, new RouteNormaliser(rules), { ...range, onDay });
      console.log(`recomputed routes over ${res.days.length} day(s): ${res.changed.toLocaleString('en-US')} rows changed route; rollups rebuilt in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await db.close();
  }
}

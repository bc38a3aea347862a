import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/db.js';

/** Read at scrape time: how many partitions (days or months) still wait for their substring-search index. */
export function registerSearchMetrics(registry: Registry, db: Db): void {
  new Gauge({
    name: 'loginsights_search_partitions_unindexed',
    help: 'Partitions of logs whose substring-search (trigram) index is not built yet',
    registers: [registry],
    async collect() {
      const res = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM log_partitions WHERE search_indexed_at IS NULL');
      this.set(res.rows[0]?.n ?? 0);
    },
  });
}

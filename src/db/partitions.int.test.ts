import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, createPostgresDatabase, openTestDb } from '../../test/helpers/db.js';
import type { Db } from './db.js';
import { openPostgres } from './postgres.js';
import { ensurePartitions, PartitionCache, type PartitionKind } from './partitions.js';

const DAY_MS = 86_400_000;

/** The days of `month` (YYYY-MM) up to the 20th, each wanting `wants`. */
function daysOf(month: string, wants: PartitionKind): { day: string; wants: PartitionKind }[] {
  const first = Date.parse(`${month}-01T00:00:00Z`);
  return Array.from({ length: 20 }, (_, i) => ({ day: new Date(first + i * DAY_MS).toISOString().slice(0, 10), wants }));
}

describeBackends('partition creation on %s', (kind) => {
  // Two handles on one database: on PostgreSQL two pools, as two processes would have; PGlite has one backend.
  let a: Db;
  let b: Db;
  beforeAll(async () => {
    if (kind === 'postgres') {
      const url = await createPostgresDatabase();
      a = await openPostgres({ connectionString: url, statementTimeoutMs: 30_000 });
      b = await openPostgres({ connectionString: url, statementTimeoutMs: 30_000 });
    } else {
      a = b = await openTestDb(kind);
    }
  });
  afterAll(async () => {
    await a?.close();
    if (b !== a) await b?.close();
  });

  it('is serialised: two writers wanting a month as days and as a month create one kind, and agree on every table', async () => {
    const months = Array.from({ length: 12 }, (_, i) => `2013-${String(i + 1).padStart(2, '0')}`);
    const cacheA = new PartitionCache();
    const cacheB = new PartitionCache();
    // Each month at once from both sides: one wants its days as day partitions, the other the month's.
    await Promise.all(months.flatMap((m) => [
      ensurePartitions(a, daysOf(m, 'day'), cacheA),
      ensurePartitions(b, daysOf(m, 'month'), cacheB),
    ]));
    for (const m of months) {
      for (const { day } of daysOf(m, 'day')) expect(cacheA.tableOf(day), day).toBe(cacheB.tableOf(day));
    }
    const parts = await a.query<{ day: string; end_day: string; table_name: string }>(
      'SELECT day::text AS day, end_day::text AS end_day, table_name FROM log_partitions ORDER BY day',
    );
    for (let i = 1; i < parts.rows.length; i++) expect(parts.rows[i]!.day >= parts.rows[i - 1]!.end_day).toBe(true);
    const attached = await a.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'logs'::regclass",
    );
    expect(attached.rows[0]!.n).toBe(parts.rows.length);
    // A month's kind is whichever writer came first; never both.
    for (const m of months) {
      const kinds = new Set(parts.rows.filter((p) => p.day.startsWith(m)).map((p) => p.table_name.slice(0, 6)));
      expect(kinds.size, m).toBe(1);
    }
  });
});

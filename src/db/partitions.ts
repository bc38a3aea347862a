import type { Queryable } from './db.js';

/** `2026-10-10` → `logs_p20261010`. The day comes from our own date formatting, never from input. */
export function partitionName(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a day: ${day}`);
  return `logs_p${day.replaceAll('-', '')}`;
}

function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * Creates the day partitions of `logs` that do not exist yet. `known` remembers days already seen by
 * this process so the common case costs nothing. Each partition is created in its own short
 * transaction: CREATE TABLE … PARTITION OF locks the parent table, and must not be held for a batch.
 */
export async function ensureDayPartitions(db: Queryable, days: Iterable<string>, known: Set<string>): Promise<void> {
  for (const day of days) {
    if (known.has(day)) continue;
    const name = partitionName(day);
    try {
      await db.query(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF logs FOR VALUES FROM ('${day}T00:00:00Z') TO ('${nextDay(day)}T00:00:00Z')`,
      );
    } catch (err) {
      // Another process created it between our IF NOT EXISTS check and the create.
      if (!['42P07', '23505'].includes((err as { code?: string }).code ?? '')) throw err;
    }
    await db.query(
      'INSERT INTO log_partitions (day, table_name) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING',
      [day, name],
    );
    known.add(day);
  }
}

/** Marks partitions as written now (the search indexer waits for them to go quiet). */
export async function touchPartitions(tx: Queryable, days: readonly string[]): Promise<void> {
  if (days.length === 0) return;
  await tx.query('UPDATE log_partitions SET last_write_at = now() WHERE day = ANY($1::date[])', [days]);
}

/** Drops whole day partitions older than the retention horizon: no DELETE, no vacuum debt. */
export async function dropPartitionsBefore(db: Queryable, day: string): Promise<string[]> {
  const old = await db.query<{ table_name: string; day: string }>(
    'SELECT table_name, day::text AS day FROM log_partitions WHERE day < $1::date ORDER BY day',
    [day],
  );
  for (const p of old.rows) {
    await db.query(`DROP TABLE IF EXISTS ${partitionName(p.day)}`);
    await db.query('DELETE FROM log_partitions WHERE day = $1::date', [p.day]);
  }
  return old.rows.map((p) => p.table_name);
}

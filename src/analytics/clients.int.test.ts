import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, openTestDb } from '../../test/helpers/db.js';
import type { Db } from '../db/db.js';
import { getTopClients } from './clients.js';

const D1 = '2026-10-01T00:00:00Z';
const D2 = '2026-10-02T00:00:00Z';

describeBackends('top clients from the daily lists on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb(kind);
    // Two days of lists as compaction leaves them: day 1 lists a and b (an address left out had at
    // most 4 requests), day 2 lists a and c (at most 2).
    await db.query(
      `INSERT INTO client_tops_1d (bucket, source, client_ip, requests, errors, client_errors, bytes_sent) VALUES
         ($1, 'web', 'a', 100, 10, 0, 1000), ($1, 'web', 'b', 50, 0, 5, 500),
         ($2, 'web', 'a', 30, 0, 0, 300), ($2, 'web', 'c', 40, 4, 0, 400)`,
      [D1, D2],
    );
    await db.query("INSERT INTO client_top_floors_1d (bucket, source, floor) VALUES ($1, 'web', 4), ($2, 'web', 2)", [D1, D2]);
  });
  afterAll(async () => db?.close());

  const range = { startMs: Date.parse(D1), endMs: Date.parse(D2) + 86_400_000, source: 'web' };

  it('sums the lists and bounds each count by the floors of the days that do not list the address', async () => {
    const top = await getTopClients(db, { ...range, limit: 3 });
    expect(top.source_of_truth).toBe('rollups');
    expect(top.items.map((c) => [c.client_ip, c.count, c.count_error_upper_bound, c.errors])).toEqual([
      ['a', 130, 0, 10], // listed both days: exact
      ['b', 50, 2, 0], // not listed on day 2: up to 2 more
      ['c', 40, 4, 4], // not listed on day 1: up to 4 more
    ]);
    // b might have 52 and c 44, and an address in no list at most 4 + 2: the order is proven, the counts are not.
    expect(top.exact).toBe(false);
  });

  it('is exact when the counts returned are exact and nothing left out can reach the last', async () => {
    const top = await getTopClients(db, { ...range, limit: 1 });
    expect(top.items.map((c) => c.client_ip)).toEqual(['a']);
    expect(top.exact).toBe(true);
  });

  it('is not proven when an address left out could overtake the last one returned', async () => {
    await db.query("INSERT INTO client_tops_1d VALUES ($1, 'web', 'd', 39, 0, 0, 0)", [D2]);
    try {
      // d has 39 (day 2) and up to 4 more (day 1): it could pass c's 40, which is listed on day 2 only.
      const top = await getTopClients(db, { ...range, limit: 3 });
      expect(top.items.map((c) => c.client_ip)).toEqual(['a', 'b', 'c']);
      expect(top.exact).toBe(false);
    } finally {
      await db.query("DELETE FROM client_tops_1d WHERE client_ip = 'd'");
    }
  });

  it('reads a day written since its last compaction from the raw rows', async () => {
    await db.query("INSERT INTO rollup_dirty (rollup_table, bucket) VALUES ('rollups_1d', $1)", [D2]);
    try {
      const top = await getTopClients(db, { ...range, limit: 3 });
      expect(top.source_of_truth).toBe('rollups+raw');
      // No raw rows stored here: day 2 counts nothing, day 1's list alone remains.
      expect(top.items.map((c) => [c.client_ip, c.count])).toEqual([['a', 100], ['b', 50]]);
    } finally {
      await db.query('DELETE FROM rollup_dirty');
    }
  });
});

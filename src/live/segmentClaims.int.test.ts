import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../db/db.js';
import { migrate } from '../db/migrator.js';
import { claimNextJob } from '../ingest/jobs.js';
import { describeBackends, openTestDb } from '../../test/helpers/db.js';
import { createSegmentJob } from './segments.js';

describeBackends('claiming live segments on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb(kind);
    await migrate(db);
  }, 60_000);
  afterAll(async () => db?.close());

  it("takes a source's segments one at a time, oldest first, and other sources' beside them", async () => {
    const segment = (source: string, n: number): Promise<string> =>
      createSegmentJob(db, { source, protocol: 'syslog-tcp', path: `/tmp/li-claims-${source}-${n}.log`, appender: 'test', appenderMs: 60_000 });
    const a1 = await segment('a', 1);
    const a2 = await segment('a', 2);
    const b1 = await segment('b', 1);
    const first = await claimNextJob(db, 'me', 60_000, [], true);
    expect(first?.id).toBe(a1);
    // a's second waits for its first, however many slots are free; b's goes on.
    const second = await claimNextJob(db, 'me', 60_000, [a1], true);
    expect(second?.id).toBe(b1);
    expect(await claimNextJob(db, 'me', 60_000, [a1, b1], true)).toBeUndefined();
    // Not a live claim: uploads never take segments.
    expect(await claimNextJob(db, 'me', 60_000, [], false)).toBeUndefined();
    await db.query("UPDATE ingest_jobs SET status = 'succeeded', lease_owner = NULL WHERE id = $1", [a1]);
    expect((await claimNextJob(db, 'me', 60_000, [a1, b1], true))?.id).toBe(a2);
  });
});

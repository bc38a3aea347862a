import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../db/db.js';
import { migrate } from '../db/migrator.js';
import { claimNextJob } from '../ingest/jobs.js';
import { describeBackends, openTestDb } from '../../test/helpers/db.js';
import { createSegmentJob, markSealed } from './segments.js';

describeBackends('claiming live segments on %s', (kind) => {
  let db: Db;
  beforeAll(async () => {
    db = await openTestDb(kind);
    await migrate(db);
  }, 60_000);
  afterAll(async () => db?.close());

  it("takes a source's segments oldest first, a second beside the first only while that one is sealed and far behind", async () => {
    const segment = (source: string, n: number): Promise<string> =>
      createSegmentJob(db, { source, protocol: 'syslog-tcp', path: `/tmp/li-claims-${source}-${n}.log`, appender: 'test', appenderMs: 60_000 });
    const a1 = await segment('a', 1);
    const a2 = await segment('a', 2);
    const a3 = await segment('a', 3);
    const b1 = await segment('b', 1);
    expect((await claimNextJob(db, 'me', 60_000, [], true))?.id).toBe(a1);
    // a1 still open (or sealed and caught up): a2 waits, however many slots are free; b's goes on.
    expect((await claimNextJob(db, 'me', 60_000, [a1], true))?.id).toBe(b1);
    expect(await claimNextJob(db, 'me', 60_000, [a1, b1], true)).toBeUndefined();
    await markSealed(db, a1, 64 * 1024 * 1024);
    await db.query('UPDATE ingest_jobs SET bytes_processed = $2 WHERE id = $1', [a1, 60 * 1024 * 1024]);
    expect(await claimNextJob(db, 'me', 60_000, [a1, b1], true)).toBeUndefined();
    // A flood: a1 sealed with 48 MB still to parse. a2 goes beside it; a3 waits for one of them.
    await db.query('UPDATE ingest_jobs SET bytes_processed = $2 WHERE id = $1', [a1, 16 * 1024 * 1024]);
    expect((await claimNextJob(db, 'me', 60_000, [a1, b1], true))?.id).toBe(a2);
    await markSealed(db, a2, 64 * 1024 * 1024);
    expect(await claimNextJob(db, 'me', 60_000, [a1, a2, b1], true)).toBeUndefined();
    // Not a live claim: uploads never take segments.
    expect(await claimNextJob(db, 'me', 60_000, [], false)).toBeUndefined();
    await db.query("UPDATE ingest_jobs SET status = 'succeeded', lease_owner = NULL WHERE id = $1", [a1]);
    expect((await claimNextJob(db, 'me', 60_000, [a1, a2, b1], true))?.id).toBe(a3);
  });

  it("never takes a source's segment before an older one still waiting", async () => {
    const segment = (n: number): Promise<string> =>
      createSegmentJob(db, { source: 'c', protocol: 'syslog-tcp', path: `/tmp/li-claims-c-${n}.log`, appender: 'test', appenderMs: 60_000 });
    const c1 = await segment(1);
    const c2 = await segment(2);
    // c1 is parked by this process (queued, passed as its own): c2 waits for it, in order.
    expect(await claimNextJob(db, 'me', 60_000, [c1], true)).toBeUndefined();
    expect((await claimNextJob(db, 'me', 60_000, [], true))?.id).toBe(c1);
    expect(await claimNextJob(db, 'me', 60_000, [c1], true)).toBeUndefined();
    await db.query("UPDATE ingest_jobs SET status = 'succeeded', lease_owner = NULL WHERE id = $1", [c1]);
    expect((await claimNextJob(db, 'me', 60_000, [c1], true))?.id).toBe(c2);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpoolFullError, SpoolQuota } from './spoolQuota.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-spoolquota-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SpoolQuota', () => {
  it('counts the files on disk and the uploads streaming, each once; a kept upload stays counted, a dropped one not', async () => {
    fs.writeFileSync(path.join(dir, 'queued.log'), Buffer.alloc(400));
    const quota = new SpoolQuota({ spoolDir: dir, maxBytes: 1000, minFreeBytes: 0 });
    const a = await quota.begin(undefined);
    a.file(path.join(dir, 'a.log'));
    fs.writeFileSync(path.join(dir, 'a.log'), Buffer.alloc(300));
    await a.charge(300);
    // a's file is counted by what it was charged, not a second time from the disk.
    await expect(quota.begin(301)).rejects.toMatchObject({ limit: 'quota', usedBytes: 700, comingBytes: 301 });
    const b = await quota.begin(300);
    await expect(b.charge(301)).rejects.toBeInstanceOf(SpoolFullError);
    b.end(false);
    a.end(true);
    await expect(quota.begin(301)).rejects.toBeInstanceOf(SpoolFullError);
    fs.rmSync(path.join(dir, 'a.log'));
    (await quota.begin(600)).end(false);
  });

  it('refuses an upload that would leave less than SPOOL_MIN_FREE_BYTES free on the spool\'s file system', async () => {
    const st = fs.statfsSync(dir);
    const free = st.bavail * st.bsize;
    const quota = new SpoolQuota({ spoolDir: dir, maxBytes: 0, minFreeBytes: free + 2 ** 40 });
    const err = await quota.begin(10).catch((e: unknown) => e);
    expect(err).toMatchObject({ limit: 'free_space', comingBytes: 10 });
    expect(await quota.explain(undefined as never, err as SpoolFullError)).toMatch(/free, .* SPOOL_MIN_FREE_BYTES \(/);
    (await new SpoolQuota({ spoolDir: dir, maxBytes: 0, minFreeBytes: 1 }).begin(10)).end(false);
  });
});

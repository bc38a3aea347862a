/**
 * Disk full on the spool (issue 5): SPOOL_DIR on a 2 MiB tmpfs. An upload bigger than the free space
 * is refused with 507 problem+json (`upload_disk_full`), leaves no job row and no partial file, and
 * the space comes back: a small upload right after succeeds. Mounting needs root (CAP_SYS_ADMIN);
 * without it the suite skips, except under CI=true where it must run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from './helpers/db.js';
import { requirement } from './helpers/env.js';
import { startTestService, type TestService } from './helpers/service.js';

const TMPFS_BYTES = 2 * 1024 * 1024;

function mountTmpfs(dir: string, bytes: number): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' }).status === 0;
}

function unmount(dir: string): void {
  spawnSync('umount', [dir], { stdio: 'ignore' });
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Whether this process may mount a tmpfs: tried once on a throwaway directory. */
function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-mount-probe-'));
  const ok = mountTmpfs(dir, 64 * 1024);
  if (ok) unmount(dir);
  else fs.rmSync(dir, { recursive: true, force: true });
  return ok;
}

const tmpfs = requirement('a tmpfs mount', canMountTmpfs(), 'this process may not mount one (it needs root with CAP_SYS_ADMIN on Linux)');

function line(i: number): string {
  const s = String(i % 60).padStart(2, '0');
  return `10.0.0.${i % 250} - - [05/Oct/2026:00:01:${s} +0000] "GET /item/${i} HTTP/1.1" 200 512 "-" "curl/8.0"`;
}

function logText(lines: number, from = 0): string {
  return Array.from({ length: lines }, (_, i) => line(from + i)).join('\n') + '\n';
}

describeBackends('upload onto a full spool disk on %s', [tmpfs], (kind) => {
  let svc: TestService;
  let spoolDir: string;
  beforeAll(async () => {
    spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-spool-tmpfs-'));
    if (!mountTmpfs(spoolDir, TMPFS_BYTES)) throw new Error(`could not mount a tmpfs on ${spoolDir}`);
    // No free-space reserve: this suite is about the disk really filling (SPOOL_MIN_FREE_BYTES would refuse first).
    svc = await startTestService(kind, { SPOOL_DIR: spoolDir, SPOOL_MIN_FREE_BYTES: '0' });
  });
  afterAll(async () => {
    await svc?.close();
    if (spoolDir) unmount(spoolDir);
  });

  const jobCount = async (): Promise<number> => (await svc.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest_jobs')).rows[0]!.n;
  const freeBytes = (): number => {
    const st = fs.statfsSync(spoolDir);
    return st.bavail * st.bsize;
  };

  it('the spool really is the small tmpfs', () => {
    expect(svc.config.spoolDir).toBe(spoolDir);
    expect(freeBytes()).toBeLessThanOrEqual(TMPFS_BYTES);
  });

  it('an upload larger than the free space: 507 upload_disk_full, no job, no partial file; a small upload then succeeds', async () => {
    const free = freeBytes();
    const big = logText(Math.ceil((free * 1.5) / 100));
    expect(big.length).toBeGreaterThan(free);

    const res = await svc.inject({ method: 'POST', url: '/logs/upload', payload: big, headers: { 'content-type': 'text/plain' } });
    expect(res.statusCode).toBe(507);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 507, code: 'upload_disk_full', title: 'Insufficient Storage', detail: 'the spool disk is full' });
    expect(await jobCount()).toBe(0);
    expect(fs.readdirSync(spoolDir)).toEqual([]);
    expect(freeBytes()).toBe(free);

    // Gzip is inflated into the spool: a small body that inflates past the free space fills it just the same.
    const packed = zlib.gzipSync(big);
    expect(packed.length).toBeLessThan(free);
    const gz = await svc.upload(packed);
    expect(gz.status).toBe(507);
    expect((gz.body as unknown as { code: string }).code).toBe('upload_disk_full');
    expect(await jobCount()).toBe(0);
    expect(fs.readdirSync(spoolDir)).toEqual([]);

    const small = await svc.upload(logText(500), { source: 'after-full' });
    expect(small.status).toBe(202);
    expect(await svc.waitForJob(small.body.job_id)).toMatchObject({ status: 'succeeded', lines_ingested: 500, lines_rejected: 0 });
    expect((await svc.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await expect.poll(() => fs.readdirSync(spoolDir), { timeout: 10_000 }).toEqual([]);
  });
});

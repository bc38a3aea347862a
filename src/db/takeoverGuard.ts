import crypto from 'node:crypto';
import fs from 'node:fs';

/**
 * A guard this old belongs to a process that died while holding it (its work under the guard takes
 * milliseconds): it is abandoned.
 */
const GUARD_ABANDONED_MS = 30_000;
const GUARD_POLL_MS = 20;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` while holding the guard file `guard`, created with O_EXCL: one process at a time, on
 * this host or any sharing the file system. Waits while another holds it; breaks it once abandoned.
 * Used by the data-directory lock (dataDirLock.ts) to replace a dead holder's socket.
 */
export async function withTakeoverGuard<T>(guard: string, fn: () => Promise<T>): Promise<T> {
  const token = await takeGuard(guard);
  try {
    return await fn();
  } finally {
    dropGuard(guard, token);
  }
}

async function takeGuard(guard: string): Promise<string> {
  const token = `${process.pid} ${crypto.randomBytes(6).toString('hex')}`;
  for (;;) {
    try {
      fs.writeFileSync(guard, token, { flag: 'wx' });
      return token;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
    breakAbandonedGuard(guard);
    await sleep(GUARD_POLL_MS);
  }
}

/**
 * Moves an abandoned guard aside (rename is atomic: of two breakers one gets it). If a live starter
 * replaced it between our stat and our rename, we took theirs: it goes back unless another exists.
 */
function breakAbandonedGuard(guard: string): void {
  let seen: fs.Stats;
  try {
    seen = fs.statSync(guard);
  } catch {
    return;
  }
  if (Date.now() - seen.mtimeMs < GUARD_ABANDONED_MS) return;
  const aside = `${guard}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(guard, aside);
  } catch {
    return; // another starter broke it first
  }
  try {
    if (fs.statSync(aside).ino !== seen.ino) fs.linkSync(aside, guard);
  } catch {
    // EEXIST: a third starter holds the guard now; the one we moved will find its file gone.
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

function dropGuard(guard: string, token: string): void {
  try {
    if (fs.readFileSync(guard, 'utf8') === token) fs.rmSync(guard, { force: true });
  } catch {
    // Gone already (broken as abandoned after a very long pause): nothing of ours to remove.
  }
}

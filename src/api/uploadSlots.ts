/**
 * At most this many uploads stream at once per API key (per client address with AUTH_DISABLED), in
 * each process: a key cannot hold every socket, file descriptor and spool byte of the service with
 * slow uploads. Four covers a shipper sending a few files side by side.
 */
export const MAX_UPLOADS_PER_KEY = 4;

/** Upload slots per key: acquire one before reading the body, release it once the upload is over. */
export class UploadSlots {
  private readonly taken = new Map<string, number>();

  constructor(readonly max = MAX_UPLOADS_PER_KEY) {}

  /** A release function for a free slot of `key`, or undefined when all of its slots are taken. Releasing twice is harmless. */
  acquire(key: string): (() => void) | undefined {
    const n = this.taken.get(key) ?? 0;
    if (n >= this.max) return undefined;
    this.taken.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.taken.get(key) ?? 1) - 1;
      if (left > 0) this.taken.set(key, left);
      else this.taken.delete(key);
    };
  }

  /** Uploads streaming for `key` now. */
  inUse(key: string): number {
    return this.taken.get(key) ?? 0;
  }
}

/** A loop running work in the background; see startLoop. */
export interface BackgroundLoop {
  /** Runs the work now (an upload queued a job) instead of at the next tick; nothing while a run is going, paused or stopped. */
  wake(): void;
  /** Backs off: neither ticks nor wake() start a run for `ms` (a later pause replaces this one). */
  pause(ms: number): void;
  /** Clears the timer, aborts the signal runs get, and waits for the run in progress; wake() does nothing after. */
  stop(): Promise<void>;
}

export interface LoopOptions {
  everyMs: number;
  /** The work. It checks `signal` between its statements: a statement running on PGlite cannot be interrupted. */
  run(signal: AbortSignal): Promise<void> | void;
  /** A run failed: log it (and pause() to back off); the next tick tries again. */
  onError(err: unknown): void;
  /** Runs once at start too, not only from the first tick on. */
  immediate?: boolean;
}

/**
 * Runs work every `everyMs`, one run at a time: a tick that comes while the previous run is still
 * going is skipped, so a slow run never piles up behind itself. The background loops (maintenance,
 * alert evaluation and deliveries, ingest claims and leases) all run on this.
 */
export function startLoop(opts: LoopOptions): BackgroundLoop {
  const stopping = new AbortController();
  let running: Promise<void> | null = null;
  let pausedUntil = 0;
  const wake = (): void => {
    if (running || stopping.signal.aborted || Date.now() < pausedUntil) return;
    // An async function runs up to its first await in this turn, as a direct call would (a woken claim
    // starts before wake() returns), and turns a throw into a rejection.
    const run = async (): Promise<void> => opts.run(stopping.signal);
    running = run().catch((err: unknown) => opts.onError(err)).finally(() => (running = null));
  };
  const timer = setInterval(wake, opts.everyMs);
  if (opts.immediate) wake();
  return {
    wake,
    pause(ms) {
      pausedUntil = Date.now() + ms;
    },
    async stop() {
      clearInterval(timer);
      stopping.abort();
      await running;
    },
  };
}

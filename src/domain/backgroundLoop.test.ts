import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLoop, type BackgroundLoop } from './backgroundLoop.js';

/** A run that ends when the test says so. */
function gate(): { promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('startLoop', () => {
  let loop: BackgroundLoop | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(async () => {
    await loop?.stop();
    loop = undefined;
    vi.useRealTimers();
  });

  it('runs at every tick, first at the first tick', async () => {
    let runs = 0;
    loop = startLoop({ everyMs: 1000, run: () => void runs++, onError: () => undefined });
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(runs).toBe(3);
  });

  it('with immediate, runs at start too, before startLoop returns', () => {
    let runs = 0;
    loop = startLoop({ everyMs: 1000, immediate: true, run: () => void runs++, onError: () => undefined });
    expect(runs).toBe(1);
  });

  it('skips the ticks and wake-ups that come while a run is going', async () => {
    const slow = gate();
    let runs = 0;
    loop = startLoop({ everyMs: 1000, run: async () => { runs++; await slow.promise; }, onError: () => undefined });
    await vi.advanceTimersByTimeAsync(5000);
    loop.wake();
    expect(runs).toBe(1);
    slow.open();
    await vi.advanceTimersByTimeAsync(0);
    loop.wake();
    expect(runs).toBe(2);
  });

  it('wake() runs at once, between ticks', async () => {
    let runs = 0;
    loop = startLoop({ everyMs: 60_000, run: () => void runs++, onError: () => undefined });
    loop.wake();
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    loop.wake();
    expect(runs).toBe(2);
  });

  it('reports a failed run, thrown or rejected, and tries again at the next tick', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    loop = startLoop({
      everyMs: 1000,
      run: () => {
        runs++;
        if (runs === 1) throw new Error('thrown');
        if (runs === 2) return Promise.reject(new Error('rejected'));
      },
      onError: (err) => errors.push(err),
    });
    await vi.advanceTimersByTimeAsync(3000);
    expect(runs).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toEqual(['thrown', 'rejected']);
  });

  it('pause() holds ticks and wake-ups back for its time (a back-off after a failure)', async () => {
    let runs = 0;
    const l = startLoop({ everyMs: 1000, run: () => { runs++; if (runs === 1) throw new Error('down'); }, onError: () => l.pause(3500) });
    loop = l;
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(3000);
    l.wake();
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(2);
  });

  it('stop() aborts the signal of the run going, waits for it, and nothing runs after', async () => {
    const slow = gate();
    let signal: AbortSignal | undefined;
    let finished = false;
    let runs = 0;
    const l = startLoop({
      everyMs: 1000,
      run: async (s) => { runs++; signal = s; await slow.promise; finished = true; },
      onError: () => undefined,
    });
    await vi.advanceTimersByTimeAsync(1000);
    let stopped = false;
    const stopping = l.stop().then(() => (stopped = true));
    expect(signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    slow.open();
    await stopping;
    expect(finished).toBe(true);
    l.wake();
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(1);
  });
});

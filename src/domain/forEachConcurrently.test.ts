import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from './forEachConcurrently.js';

/** A call that resolves when the test says so. */
function gate(): { promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('forEachConcurrently', () => {
  it('runs at most `limit` calls at a time and every item once', async () => {
    const gates = Array.from({ length: 5 }, gate);
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    const done = forEachConcurrently([0, 1, 2, 3, 4], 2, async (i) => {
      running++;
      most = Math.max(most, running);
      await gates[i]!.promise;
      seen.push(i);
      running--;
    });
    for (const g of gates) {
      await new Promise((r) => setImmediate(r));
      g.open();
    }
    await done;
    expect(most).toBe(2);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('after a failure starts nothing more, lets calls under way finish, then throws the first error', async () => {
    const started: number[] = [];
    let finished = 0;
    const run = forEachConcurrently([0, 1, 2, 3], 2, async (i) => {
      started.push(i);
      if (i === 0) throw new Error('boom');
      await new Promise((r) => setImmediate(r));
      finished++;
    });
    await expect(run).rejects.toThrow('boom');
    expect(started).toEqual([0, 1]);
    expect(finished).toBe(1);
  });

  it('does nothing for no items', async () => {
    await forEachConcurrently([], 4, () => Promise.reject(new Error('not called')));
  });
});

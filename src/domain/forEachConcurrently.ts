/**
 * Runs `fn` on each item, at most `limit` at a time, and resolves once every started call has
 * settled. Once a call throws, no further item is started (calls under way finish), and the first
 * error is thrown at the end: nothing is left running behind the caller's back.
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== null) throw (failure as { err: unknown }).err;
}

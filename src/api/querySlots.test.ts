import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { QuerySlots } from './querySlots.js';

/** Work that ends when told to. */
function held(): { work: () => Promise<string>; finish: () => void } {
  let finish!: () => void;
  const done = new Promise<string>((resolve) => (finish = () => resolve('done')));
  return { work: () => done, finish };
}

describe('QuerySlots', () => {
  it('runs up to maxPerOwner at once per owner, refuses more with 429 and Retry-After, and frees a slot when work ends', async () => {
    const slots = new QuerySlots(2);
    const [a, b] = [held(), held()];
    const first = slots.run('key:1', a.work);
    const second = slots.run('key:1', b.work);
    expect(slots.inUse('key:1')).toBe(2);
    const refused = await slots.run('key:1', async () => 'never').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 429, code: 'too_many_searches', extra: { headers: { 'retry-after': '2' } } });
    expect((refused as AppError).message).toMatch(/RAW_QUERIES_PER_KEY=2/);
    expect(await slots.run('key:2', async () => 'other owner')).toBe('other owner');

    a.finish();
    expect(await first).toBe('done');
    expect(slots.inUse('key:1')).toBe(1);
    expect(await slots.run('key:1', async () => 'again')).toBe('again');
    b.finish();
    await second;
    expect(slots.inUse('key:1')).toBe(0);
  });

  it('frees the slot of work that failed, and has no limit at 0', async () => {
    const slots = new QuerySlots(1);
    await expect(slots.run('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(slots.inUse('k')).toBe(0);
    const open = new QuerySlots(0);
    const many = Array.from({ length: 50 }, () => held());
    const running = many.map((h) => open.run('k', h.work));
    many.forEach((h) => h.finish());
    expect(await Promise.all(running)).toHaveLength(50);
  });
});

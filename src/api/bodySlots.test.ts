import { describe, expect, it } from 'vitest';
import { BodySlots } from './bodySlots.js';
import { AppError } from './errors.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('BodySlots', () => {
  it('lets `slots` requests in, queues the next ones in order, and refuses with 429 past the queue', async () => {
    const slots = new BodySlots({ slots: 2, waiting: 1, what: 'push requests', code: 'too_many_push_requests' });
    const first = await slots.take();
    await slots.take();
    let thirdIn = false;
    const third = slots.take().then((release) => ((thirdIn = true), release));
    await tick();
    expect(thirdIn).toBe(false);
    expect(slots.usage).toEqual({ inFlight: 2, waiting: 1 });
    const refused = await slots.take().catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 429, code: 'too_many_push_requests', message: '3 push requests are in progress or waiting; retry shortly' });
    expect((refused as AppError).extra.headers).toEqual({ 'retry-after': '1' });

    first();
    await tick();
    expect(thirdIn).toBe(true);
    expect(slots.usage).toEqual({ inFlight: 2, waiting: 0 });
    first();
    expect(slots.usage.inFlight).toBe(2);
    (await third)();
    expect(slots.usage).toEqual({ inFlight: 1, waiting: 0 });
  });
});

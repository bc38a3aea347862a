import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { singleFlight } from './singleFlight.js';

const request = (query: object): FastifyRequest => ({ routeOptions: { url: '/analytics/summary' }, url: '/x', query }) as unknown as FastifyRequest;

describe('singleFlight', () => {
  it('shares one computation among identical concurrent reads, and computes again once it is done', async () => {
    const shared = singleFlight();
    let calls = 0;
    let release!: (v: number) => void;
    const compute = () => {
      calls++;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const a = shared(request({ source: 'web' }), compute);
    const b = shared(request({ source: 'web' }), compute);
    const other = shared(request({ source: 'api' }), () => Promise.resolve(-1));
    expect(calls).toBe(1);
    release(42);
    expect(await Promise.all([a, b, other])).toEqual([42, 42, -1]);
    const again = shared(request({ source: 'web' }), compute);
    expect(calls).toBe(2);
    release(43);
    expect(await again).toBe(43);
  });

  it('shares a failure with the waiting reads, then forgets it', async () => {
    const shared = singleFlight();
    const failing = () => Promise.reject(new Error('database away'));
    const [a, b] = [shared(request({}), failing), shared(request({}), failing)];
    await expect(a).rejects.toThrow('database away');
    await expect(b).rejects.toThrow('database away');
    await expect(shared(request({}), () => Promise.resolve('ok'))).resolves.toBe('ok');
  });
});

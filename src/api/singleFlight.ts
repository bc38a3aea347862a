import type { FastifyRequest } from 'fastify';

/**
 * Identical reads that arrive while one is being computed share its answer (single flight), as
 * Grafana's and Loki's query frontends do: twenty dashboards refreshing the same view cost one query.
 * Nothing is kept once the answer is out, so no answer is older than the request that computed it.
 * The key is the route and its validated query (defaults filled in, keys in schema order); who
 * asks does not matter, since access was checked before the handler runs.
 */
export function singleFlight(): <T>(req: FastifyRequest, compute: () => Promise<T>) => Promise<T> {
  const inFlight = new Map<string, Promise<unknown>>();
  return <T>(req: FastifyRequest, compute: () => Promise<T>): Promise<T> => {
    const key = `${req.routeOptions.url ?? req.url} ${JSON.stringify(req.query)}`;
    const running = inFlight.get(key);
    if (running) return running as Promise<T>;
    const started = compute().finally(() => inFlight.delete(key));
    inFlight.set(key, started);
    return started;
  };
}

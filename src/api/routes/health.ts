import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { migrationsApplied } from '../../db/migrator.js';
import { listFormats } from '../../parse/index.js';
import { sendProblem } from '../errors.js';
import type { ServerDeps } from '../server.js';

export function healthRoutes(deps: ServerDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get('/healthz', {
      config: { access: 'public' },
      schema: { tags: ['meta'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('ok') }) } },
    }, () => ({ status: 'ok' as const }));

    app.get('/readyz', {
      config: { access: 'public' },
      schema: {
        tags: ['meta'],
        summary: 'The database is reachable and migrated',
        response: { 200: z.object({ status: z.literal('ready'), database: z.enum(['postgres', 'pglite']) }) },
      },
    }, async (req, reply) => {
      try {
        if (await withTimeout(migrationsApplied(deps.db), 2_000)) return { status: 'ready' as const, database: deps.db.kind };
        return sendProblem(reply, req, { status: 503, code: 'not_ready', detail: 'database migrations are not applied' });
      } catch {
        return sendProblem(reply, req, { status: 503, code: 'not_ready', detail: 'the database is not reachable' });
      }
    });

    app.get('/metrics', {
      config: { access: 'read' },
      schema: { tags: ['meta'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
      return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
    });

    app.get('/formats', {
      config: { access: 'ingest' },
      schema: {
        tags: ['meta'],
        summary: 'Log formats that `format` accepts',
        response: { 200: z.object({ items: z.array(z.object({ name: z.string(), description: z.string() })) }) },
      },
    }, () => ({ items: listFormats() }));
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadMigrations, migrationsApplied } from '../../db/migrator.js';
import { sendProblem } from '../errors.js';
import type { ServerDeps } from '../server.js';

/** A readiness answer serves every probe for this long: a flood of /readyz costs one small query a second. */
const READY_ANSWER_MS = 1_000;

export function healthRoutes(deps: ServerDeps): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    // The migrations this build knows, read once: they cannot change while the process runs.
    const versions = loadMigrations().map((m) => m.version);
    const readiness = sharedFor(READY_ANSWER_MS, async (): Promise<'ready' | 'not_migrated' | 'unreachable'> => {
      try {
        return (await withTimeout(migrationsApplied(deps.db, versions), 2_000)) ? 'ready' : 'not_migrated';
      } catch {
        return 'unreachable';
      }
    });

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
      const state = await readiness();
      if (state === 'ready') return { status: 'ready' as const, database: deps.db.engine };
      const detail = state === 'not_migrated' ? 'database migrations are not applied' : 'the database is not reachable';
      return sendProblem(reply, req, { status: 503, code: 'not_ready', detail });
    });

    app.get('/metrics', {
      config: { access: 'read' },
      schema: { tags: ['meta'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
      return reply.type(deps.registry.contentType).send(await deps.registry.metrics());
    });
  };
}

/**
 * The answer of compute, shared by every caller while it runs and for `ms` after it settled (single
 * flight plus a short memory); then the next caller computes afresh.
 */
function sharedFor<T>(ms: number, compute: () => Promise<T>): () => Promise<T> {
  let current: { answer: Promise<T>; until: number } | undefined;
  return () => {
    if (current && current.until > Date.now()) return current.answer;
    const entry = { answer: compute(), until: Infinity };
    current = entry;
    const settled = (): void => void (entry.until = Date.now() + ms);
    void entry.answer.then(settled, settled);
    return entry.answer;
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

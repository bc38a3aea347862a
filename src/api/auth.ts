import type { FastifyInstance, FastifyRequest } from 'fastify';
import { keyPrefix, keysWithPrefix, markUsed, matchKey, type StoredKey } from '../auth/apiKeys.js';
import type { Db } from '../db/db.js';
import { grants, type Scope } from '../domain/scopes.js';
import { AppError } from './errors.js';

/** Every route states who may call it: a scope, or `public` (health, readiness, the docs and dashboard shell). */
export type RouteAccess = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The key that authenticated the request (undefined on public routes and with AUTH_DISABLED). */
    apiKey?: { id: number; scopes: Scope[] };
  }
}

/**
 * Plugins' own routes that are public by nature: Swagger UI's page, assets and the OpenAPI document;
 * the dashboard's static assets (code and styles, no data).
 */
const PUBLIC_PREFIXES = ['/docs', '/assets/'];

/** How long a verified key (or a missing one) is trusted without asking the database again. */
const CACHE_MS = 10_000;
/** last_used_at is written at most this often per key, not on every request. */
const TOUCH_MS = 60_000;

export interface AuthOptions {
  db: Db;
  disabled: boolean;
}

export interface AuthControl {
  /** Forget cached keys (after a revocation in this process; other processes forget within CACHE_MS). */
  forget(): void;
}

// Deliberately the same answer for a missing, malformed, unknown or revoked key: nothing for a guesser.
const unauthorized = (): AppError => new AppError(401, 'unauthorized', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key)', {
  headers: { 'www-authenticate': 'Bearer realm="loginsights"' },
});

/** Whom a request counts against for per-client limits: its API key, or its address when it has none (AUTH_DISABLED). */
export function requesterKey(req: FastifyRequest): string {
  return req.apiKey ? `key:${req.apiKey.id}` : `ip:${req.ip}`;
}

function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth !== '') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : '';
  }
  const header = req.headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}

/**
 * Installs authentication on the root instance: routes without an access decision refuse to
 * register (so a new endpoint cannot ship open by accident), and every request to a non-public
 * route needs a key that holds the route's scope: 401 without a valid key, 403 with the wrong scope.
 */
export function installAuth(app: FastifyInstance, opts: AuthOptions): AuthControl {
  const cache = new Map<string, { keys: StoredKey[]; until: number }>();
  const touched = new Map<number, number>();

  app.addHook('onRoute', (route) => {
    // CORS preflights (OPTIONS, registered by @fastify/cors) never carry credentials, by the Fetch standard.
    const isPublic = PUBLIC_PREFIXES.some((p) => route.url.startsWith(p)) || route.method === 'OPTIONS';
    const access = route.config?.access ?? (isPublic ? 'public' : undefined);
    if (!access) throw new Error(`route ${String(route.method)} ${route.url} has no access decision (config.access)`);
    route.config = { ...route.config, access };
  });

  async function candidates(prefix: string): Promise<StoredKey[]> {
    const hit = cache.get(prefix);
    if (hit && hit.until > Date.now()) return hit.keys;
    const keys = await keysWithPrefix(opts.db, prefix);
    if (cache.size > 10_000) cache.clear(); // random keys from a guesser must not grow it without bound
    cache.set(prefix, { keys, until: Date.now() + CACHE_MS });
    return keys;
  }

  // Awaited (once a minute per key), so a key's use is listed as soon as the request that used it answers.
  async function touch(id: number): Promise<void> {
    const now = Date.now();
    if ((touched.get(id) ?? 0) > now - TOUCH_MS) return;
    touched.set(id, now);
    await markUsed(opts.db, [id]).catch((err: unknown) => app.log.warn({ err }, 'could not record API key use'));
  }

  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config.access;
    // No route matched (404 handler): nothing to protect.
    if (access === undefined || access === 'public' || opts.disabled) return;
    const key = presentedKey(req);
    if (!key || key.length > 512) throw unauthorized();
    const found = matchKey(await candidates(keyPrefix(key)), key);
    if (!found) throw unauthorized();
    if (!grants(found.scopes, access)) {
      throw new AppError(403, 'forbidden', `this API key lacks the \`${access}\` scope`);
    }
    req.apiKey = { id: found.id, scopes: found.scopes };
    await touch(found.id);
  });

  return { forget: () => cache.clear() };
}

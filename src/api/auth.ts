import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { keyPrefix, keysWithPrefix, markUsed, matchKey, type StoredKey } from '../auth/apiKeys.js';
import type { Db } from '../db/db.js';
import { grants, type Scope } from '../domain/scopes.js';
import { AuthFailureLimiter, clientGroup } from './authFailures.js';
import { AppError } from './errors.js';
import { LruCache } from './lruCache.js';

/** Every route states who may call it: a scope, or `public` (health, readiness, the docs and dashboard shell). */
export type RouteAccess = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /**
     * A WebSocket route whose clients may send their key in the first message (browsers cannot set
     * headers on a WebSocket): an upgrade request without a key passes, and the route's WebSocket
     * handler authenticates (AuthControl.authenticate). A key in the URL is refused there.
     */
    keyInFirstMessage?: boolean;
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
/**
 * Key prefixes cached, in two LRUs: those with a key and those without. Apart, so that a flood of
 * random keys churns only the second and never pushes a good key out of the first.
 */
const CACHED_PREFIXES = 10_000;
/** last_used_at is written at most this often per key, not on every request. */
const TOUCH_MS = 60_000;
/** A presented key longer than this, or with other than printable ASCII, is no key of ours: no lookup. */
const WELL_FORMED_KEY = /^[\x21-\x7e]{1,512}$/;

export interface AuthOptions {
  db: Db;
  disabled: boolean;
  /** Failed authentications per minute per client address before 429 (AUTH_FAILURES_PER_MINUTE); 0: no limit. */
  failuresPerMinute: number;
  registry: Registry;
}

export interface AuthControl {
  /** Forget a cached key (after its revocation in this process; other processes forget within CACHE_MS). */
  forget(keyId: number): void;
  /**
   * Checks a key presented other than in a request's headers (a WebSocket's first message) as a
   * request's key is checked: the failure limit of the address, the same lookup, counters and scope.
   * Throws the AppError a request would get (401, 403, 429).
   */
  authenticate(key: string | undefined, ip: string, access: Scope): Promise<{ id: number; scopes: Scope[] }>;
}

/** Query parameters that look like a key in the URL, where it would end up in access logs, proxies and browser history. */
const KEY_IN_URL = /^(key|api[-_]?key|token|access[-_]?token|auth|authorization)$/i;

type FailureOutcome = 'missing' | 'malformed' | 'unknown' | 'limited';

// Deliberately the same answer for a missing, malformed, unknown or revoked key: nothing for a guesser.
const unauthorized = (): AppError => new AppError(401, 'unauthorized', 'a valid API key is required (Authorization: Bearer <key> or X-API-Key; ApiKey <key>, or Basic with the key as password)', {
  headers: { 'www-authenticate': 'Bearer realm="loginsights"' },
});

/**
 * Who a request counts against for per-key limits (live tails, concurrent searches): its API key, or
 * its address (an IPv6 /64) when there is none (AUTH_DISABLED).
 */
export function requestOwner(req: FastifyRequest): { keyId: number | undefined; slot: string } {
  return req.apiKey ? { keyId: req.apiKey.id, slot: `key:${req.apiKey.id}` } : { keyId: undefined, slot: `addr:${clientGroup(req.ip)}` };
}

/**
 * The key a request presents: `Authorization: Bearer <key>`, `ApiKey <key>` (Elasticsearch clients;
 * also their base64 `id:key` form, the key after the colon), `Basic` with the key as the password (Loki
 * and Elasticsearch shippers that only do user and password), or `X-API-Key`. '' for an Authorization
 * header of another form (malformed).
 */
function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth !== '') {
    const m = /^(Bearer|ApiKey|Basic)\s+(\S+)\s*$/i.exec(auth);
    if (!m) return '';
    const [scheme, value] = [m[1]!.toLowerCase(), m[2]!];
    if (scheme === 'bearer') return value;
    // An Elasticsearch client's encoded form is base64 of `id:key`; else the key itself.
    if (scheme === 'apikey') return secondOfPair(value) ?? value;
    return secondOfPair(value) ?? '';
  }
  const header = req.headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}

/** What follows the first colon of a base64 `first:second` (Basic credentials); null when it is not one. */
function secondOfPair(value: string): string | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && WELL_FORMED_KEY.test(decoded.slice(colon + 1)) ? decoded.slice(colon + 1) : null;
}

/**
 * Installs authentication on the root instance: routes without an access decision refuse to
 * register (so a new endpoint cannot ship open by accident), and every request to a non-public
 * route needs a key that holds the route's scope: 401 without a valid key, 403 with the wrong scope.
 */
export function installAuth(app: FastifyInstance, opts: AuthOptions): AuthControl {
  const known = new LruCache<string, StoredKey[]>({ maxEntries: CACHED_PREFIXES, ttlMs: CACHE_MS });
  const unknown = new LruCache<string, true>({ maxEntries: CACHED_PREFIXES, ttlMs: CACHE_MS });
  const touched = new Map<number, number>();
  /** Revocations seen by forget(): a lookup that overlapped one does not cache its answer. */
  let revoked = 0;
  const failures = new AuthFailureLimiter({ maxPerMinute: opts.failuresPerMinute });
  const failed = new Counter({
    name: 'loginsights_auth_failures_total',
    help: 'Requests refused for want of a valid API key: missing, malformed, unknown (or revoked), limited (429: too many failures from the address, refused before any lookup)',
    labelNames: ['outcome'],
    registers: [opts.registry],
  });
  const lookups = new Counter({
    name: 'loginsights_auth_key_lookups_total',
    help: 'API key prefixes looked up in the database (not found in the cache)',
    registers: [opts.registry],
  });

  app.addHook('onRoute', (route) => {
    // CORS preflights (OPTIONS, registered by @fastify/cors) never carry credentials, by the Fetch standard.
    const isPublic = PUBLIC_PREFIXES.some((p) => route.url.startsWith(p)) || route.method === 'OPTIONS';
    const access = route.config?.access ?? (isPublic ? 'public' : undefined);
    if (!access) throw new Error(`route ${String(route.method)} ${route.url} has no access decision (config.access)`);
    // Its upgrade requests pass without a key: only a WebSocket handler, which authenticates itself, may receive them.
    if (route.config?.keyInFirstMessage && typeof (route as { wsHandler?: unknown }).wsHandler !== 'function') {
      throw new Error(`route ${String(route.method)} ${route.url}: keyInFirstMessage needs a wsHandler`);
    }
    route.config = { ...route.config, access };
  });

  /** The stored key a presented key is, from the cache alone: undefined when the cache cannot say. */
  function cachedMatch(key: string): StoredKey | undefined {
    const keys = known.get(keyPrefix(key));
    return keys ? matchKey(keys, key) : undefined;
  }

  async function candidates(prefix: string): Promise<StoredKey[]> {
    const hit = known.get(prefix) ?? (unknown.get(prefix) ? [] : undefined);
    if (hit) return hit;
    lookups.inc();
    const revocations = revoked;
    const keys = await keysWithPrefix(opts.db, prefix);
    // A revocation while the lookup ran may have made its answer stale: use it once, cache it not.
    if (revocations !== revoked) return keys;
    if (keys.length) known.set(prefix, keys);
    else unknown.set(prefix, true);
    return keys;
  }

  // Awaited (once a minute per key), so a key's use is listed as soon as the request that used it answers.
  async function touch(id: number): Promise<void> {
    const now = Date.now();
    if ((touched.get(id) ?? 0) > now - TOUCH_MS) return;
    touched.set(id, now);
    await markUsed(opts.db, [id]).catch((err: unknown) => app.log.warn({ err }, 'could not record API key use'));
  }

  const refuse = (group: string, outcome: FailureOutcome): AppError => {
    failures.fail(group);
    failed.inc({ outcome });
    return unauthorized();
  };

  function refuseWhileLimited(group: string): void {
    const waitS = failures.retryAfterS(group);
    if (waitS === 0) return;
    failed.inc({ outcome: 'limited' });
    throw new AppError(429, 'auth_rate_limited',
      `more than ${opts.failuresPerMinute} failed authentications a minute from this address (AUTH_FAILURES_PER_MINUTE); retry in ${waitS} s`,
      { headers: { 'retry-after': String(waitS) } });
  }

  /** The stored key a presented key is, holding the scope `access` needs; else the AppError to answer. */
  async function verify(key: string | undefined, ip: string, access: Scope): Promise<StoredKey> {
    const wellFormed = key !== undefined && WELL_FORMED_KEY.test(key);
    const group = clientGroup(ip);
    // A key the cache already knows as good passes without the database, even from a limited address
    // (a client behind the same NAT as a guesser keeps working); anything else waits out the limit.
    let found = wellFormed ? cachedMatch(key) : undefined;
    if (!found) {
      refuseWhileLimited(group);
      if (key === undefined) throw refuse(group, 'missing');
      if (!wellFormed) throw refuse(group, 'malformed');
      // Counted while the lookup runs, so that concurrent guesses from one address cannot all slip past
      // the limit with their lookups in flight; the count stays only if the key proves wrong.
      failures.fail(group);
      try {
        found = matchKey(await candidates(keyPrefix(key)), key);
      } finally {
        failures.forgive(group);
      }
      if (!found) throw refuse(group, 'unknown');
    }
    if (!grants(found.scopes, access)) {
      throw new AppError(403, 'forbidden', `this API key lacks the \`${access}\` scope`);
    }
    await touch(found.id);
    return found;
  }

  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config.access;
    // No route matched (404 handler): nothing to protect.
    if (access === undefined || access === 'public' || opts.disabled) return;
    const key = presentedKey(req);
    if (req.routeOptions.config.keyInFirstMessage) {
      const named = Object.keys(req.query as object).find((k) => KEY_IN_URL.test(k));
      if (named !== undefined) {
        throw new AppError(400, 'key_in_url', `an API key never goes in the URL (parameter ${named.slice(0, 100)}), where logs and proxies keep it: ` +
          'send it in the Authorization or X-API-Key header, or as the first WebSocket message {"type":"auth","key":"<key>"}');
      }
      // Node marks a request `upgrade` only when it hands it over as one (the 'upgrade' event, which
      // @fastify/websocket routes to the WebSocket handler), so a plain GET never gets here without a key.
      // A limited address is refused now rather than after the upgrade.
      const upgrade = (req.raw as { upgrade?: boolean }).upgrade === true && req.headers.upgrade?.toLowerCase() === 'websocket';
      if (key === undefined && upgrade) {
        refuseWhileLimited(clientGroup(req.ip));
        return;
      }
    }
    const found = await verify(key, req.ip, access);
    req.apiKey = { id: found.id, scopes: found.scopes };
  });

  return {
    // Only the revoked key's entry: the other keys stay cached, so a revocation does not send every
    // client back to the database (or, from an address over the failure limit, into a 429).
    forget: (keyId) => {
      revoked++;
      for (const [prefix, keys] of known.entries()) if (keys.some((k) => k.id === keyId)) known.delete(prefix);
    },
    authenticate: async (key, ip, access) => {
      const found = await verify(key, ip, access);
      return { id: found.id, scopes: found.scopes };
    },
  };
}

import crypto from 'node:crypto';
import type { Db, Queryable } from '../db/db.js';
import type { Scope } from '../domain/scopes.js';

/** Characters of a key shown in lists and used to find its row. */
const PREFIX_CHARS = 12;

export interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
}

/** `li_` + 256 random bits, base64url: unguessable, and recognisable when it leaks into a log or a repository. */
export function generateKey(): string {
  return `li_${crypto.randomBytes(32).toString('base64url')}`;
}

function hashKey(key: string): Buffer {
  return crypto.createHash('sha256').update(key, 'utf8').digest();
}

export function keyPrefix(key: string): string {
  return key.slice(0, PREFIX_CHARS);
}

const COLUMNS = 'id, name, prefix, scopes, created_at, last_used_at';

/** Stores a key (its hash only); the clear key is the caller's to hand out once. */
export async function insertKey(db: Queryable, key: string, name: string, scopes: readonly Scope[]): Promise<ApiKey> {
  const res = await db.query<ApiKey>(
    `INSERT INTO api_keys (name, prefix, key_hash, scopes) VALUES ($1, $2, $3, $4::text[]) RETURNING ${COLUMNS}`,
    [name, keyPrefix(key), hashKey(key), scopes],
  );
  return res.rows[0]!;
}

export async function createKey(db: Queryable, name: string, scopes: readonly Scope[]): Promise<{ key: string; apiKey: ApiKey }> {
  const key = generateKey();
  return { key, apiKey: await insertKey(db, key, name, scopes) };
}

export async function listKeys(db: Queryable): Promise<ApiKey[]> {
  return (await db.query<ApiKey>(`SELECT ${COLUMNS} FROM api_keys WHERE revoked_at IS NULL ORDER BY id`)).rows;
}

/** Serialises the changes that "someone can administer the service" depends on: bootstrap and revocation. */
const API_KEYS_LOCK = 7_307_001;

export type RevokeResult = 'revoked' | 'not_found' | 'last_admin_key';

/**
 * Revokes an active key, unless it is the last active admin key (then nobody could administer the
 * service, nor make a new key, through the API). The check and the revocation run in one
 * transaction that holds an advisory lock every revocation takes: two revocations of the last two
 * admin keys at once would otherwise each count two admin keys and both go ahead. An advisory lock
 * rather than `SELECT … FOR UPDATE` of the active admin keys: that is correct too, but only because
 * a blocked FOR UPDATE re-reads the rows it waited for under READ COMMITTED and drops the one just
 * revoked; one lock that all revocations queue on says the same thing plainly, and revocations are
 * rare enough that queueing them all costs nothing.
 */
export async function revokeKey(db: Db, id: number): Promise<RevokeResult> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [API_KEYS_LOCK]);
    const res = await tx.query<{ admin: boolean; admins: number }>(
      `SELECT 'admin' = ANY(scopes) AS admin,
              (SELECT count(*)::int FROM api_keys WHERE revoked_at IS NULL AND 'admin' = ANY(scopes)) AS admins
       FROM api_keys WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    );
    const target = res.rows[0];
    if (!target) return 'not_found';
    if (target.admin && target.admins <= 1) return 'last_admin_key';
    await tx.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [id]);
    return 'revoked';
  });
}

export interface StoredKey {
  id: number;
  scopes: Scope[];
  key_hash: Uint8Array;
  revoked_at: string | null;
}

/** Active keys that share a presented key's prefix (almost always one, or none); revoked ones too when asked. */
export async function keysWithPrefix(db: Queryable, prefix: string, opts: { includeRevoked?: boolean } = {}): Promise<StoredKey[]> {
  return (await db.query<StoredKey>(
    `SELECT id, scopes, key_hash, revoked_at FROM api_keys WHERE prefix = $1${opts.includeRevoked ? '' : ' AND revoked_at IS NULL'}`, [prefix],
  )).rows;
}

/** The stored key a presented key is, compared in constant time (no early exit on the first differing byte). */
export function matchKey(candidates: readonly StoredKey[], presented: string): StoredKey | undefined {
  const hash = hashKey(presented);
  let found: StoredKey | undefined;
  for (const c of candidates) {
    const stored = Buffer.from(c.key_hash);
    if (stored.length === hash.length && crypto.timingSafeEqual(stored, hash)) found = c;
  }
  return found;
}

/** Of these key ids, those still active: what open live tails re-check (a key revoked by another process). */
export async function activeKeyIds(db: Queryable, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const res = await db.query<{ id: number }>('SELECT id FROM api_keys WHERE id = ANY($1::bigint[]) AND revoked_at IS NULL', [ids]);
  return new Set(res.rows.map((r) => r.id));
}

export async function markUsed(db: Queryable, ids: readonly number[]): Promise<void> {
  if (ids.length) await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = ANY($1::bigint[])', [ids]);
}

export type Bootstrap =
  | { kind: 'configured' | 'existing' }
  | { kind: 'generated'; key: string }
  /** ADMIN_API_KEY names a key that was revoked: it stays revoked (the caller warns). */
  | { kind: 'configured_revoked'; id: number; revokedAt: string };

/**
 * Makes sure someone can administer the service. ADMIN_API_KEY is stored (once) when given, unless
 * it was revoked: a revocation sticks, whatever the configuration still says. Otherwise, when no
 * active key exists, an admin key is generated and returned for printing once. Under the keys' lock,
 * so two processes starting on one PostgreSQL create one key.
 */
export async function ensureBootstrapKey(db: Db, adminApiKey: string | undefined): Promise<Bootstrap> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [API_KEYS_LOCK]);
    if (adminApiKey !== undefined) {
      const stored = await keysWithPrefix(tx, keyPrefix(adminApiKey), { includeRevoked: true });
      if (matchKey(stored.filter((k) => k.revoked_at === null), adminApiKey)) return { kind: 'configured' };
      const revoked = matchKey(stored.filter((k) => k.revoked_at !== null), adminApiKey);
      if (revoked) return { kind: 'configured_revoked', id: revoked.id, revokedAt: revoked.revoked_at! };
      await insertKey(tx, adminApiKey, 'ADMIN_API_KEY', ['admin']);
      return { kind: 'configured' };
    }
    const active = await tx.query('SELECT 1 FROM api_keys WHERE revoked_at IS NULL LIMIT 1');
    if (active.rowCount > 0) return { kind: 'existing' };
    const { key } = await createKey(tx, 'bootstrap admin', ['admin']);
    return { kind: 'generated', key };
  });
}

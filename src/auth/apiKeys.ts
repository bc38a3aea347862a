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

/** Revokes a key; false when there is no such active key. */
export async function revokeKey(db: Queryable, id: number): Promise<boolean> {
  const res = await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  return res.rowCount > 0;
}

export interface StoredKey {
  id: number;
  scopes: Scope[];
  key_hash: Uint8Array;
}

/** Active keys that share a presented key's prefix (almost always one, or none). */
export async function keysWithPrefix(db: Queryable, prefix: string): Promise<StoredKey[]> {
  return (await db.query<StoredKey>(
    'SELECT id, scopes, key_hash FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL', [prefix],
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

/** Serialises bootstrap between processes starting at once on one PostgreSQL. */
const BOOTSTRAP_LOCK = 7_307_001;

export type Bootstrap = { kind: 'configured' | 'existing' } | { kind: 'generated'; key: string };

/**
 * Makes sure someone can administer the service. ADMIN_API_KEY is stored (once) when given;
 * otherwise, when no active key exists, an admin key is generated and returned for printing once.
 */
export async function ensureBootstrapKey(db: Db, adminApiKey: string | undefined): Promise<Bootstrap> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
    if (adminApiKey !== undefined) {
      if (!matchKey(await keysWithPrefix(tx, keyPrefix(adminApiKey)), adminApiKey)) {
        await insertKey(tx, adminApiKey, 'ADMIN_API_KEY', ['admin']);
      }
      return { kind: 'configured' };
    }
    const active = await tx.query('SELECT 1 FROM api_keys WHERE revoked_at IS NULL LIMIT 1');
    if (active.rowCount > 0) return { kind: 'existing' };
    const { key } = await createKey(tx, 'bootstrap admin', ['admin']);
    return { kind: 'generated', key };
  });
}

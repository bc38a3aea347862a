import { InvalidArgumentError } from 'commander';
import { createKey, listKeys, revokeKey } from '../auth/apiKeys.js';
import type { Config } from '../config/config.js';
import { migrate } from '../db/migrator.js';
import { openDb } from '../db/open.js';
import { SCOPES, type Scope } from '../domain/scopes.js';
import { dataDirUse } from './dataDirUse.js';

/**
 * `--scopes read,ingest` → scopes. A wrong one is refused by commander in one line (InvalidArgumentError)
 * that lists the valid scopes, before the database is opened.
 */
export function parseScopes(text: string): Scope[] {
  const scopes = [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))];
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length || scopes.length === 0) {
    throw new InvalidArgumentError(`${unknown.length ? `unknown scope ${unknown.join(', ')}` : 'no scope given'}; valid scopes: ${SCOPES.join(', ')}`);
  }
  return scopes as Scope[];
}

/** `keys revoke 12` → 12; anything else is refused in one line (a NaN reached the database before). */
export function parseKeyId(text: string): number {
  if (!/^\d{1,15}$/.test(text.trim())) throw new InvalidArgumentError('a key id is a number (see keys list)');
  return Number(text.trim());
}

/**
 * Key management on the database itself, for when no admin key is at hand (lost, or all revoked).
 * With the embedded database, a running server holds DATA_DIR and the command is refused (the API
 * does the same there). Returns the exit code: a refused revocation says why on stderr.
 */
export async function runKeysCommand(
  config: Readonly<Config>, action: 'create' | 'list' | 'revoke', o: { name?: string; scopes?: Scope[]; id?: number },
): Promise<number> {
  const db = await openDb(config, dataDirUse(`keys ${action}`));
  try {
    await migrate(db);
    if (action === 'create') {
      const { key, apiKey } = await createKey(db, o.name ?? 'cli', o.scopes ?? ['admin']);
      console.log(`created key ${apiKey.id} (${apiKey.name}; ${apiKey.scopes.join(', ')}). It is shown this once:\n\n    ${key}\n`);
    } else if (action === 'list') {
      const active = await listKeys(db);
      // On stderr, so that stdout stays one tab-separated line per key for scripts.
      if (active.length === 0) console.error('no active API keys; create one with `loginsights keys create --scopes admin`');
      for (const k of active) {
        console.log([k.id, k.prefix, k.name, k.scopes.join(','), `created ${k.created_at}`, `last used ${k.last_used_at ?? 'never'}`].join('\t'));
      }
    } else {
      const result = await revokeKey(db, o.id!);
      if (result !== 'revoked') {
        console.error(result === 'not_found'
          ? `loginsights: there is no active key ${o.id} (see keys list)`
          : `loginsights: key ${o.id} is the last active admin key, so it stays: create another admin key first (keys create --scopes admin), then revoke this one`);
        return 1;
      }
      console.log(`revoked key ${o.id}`);
    }
    return 0;
  } finally {
    await db.close();
  }
}

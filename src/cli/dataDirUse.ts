import type { LockOptions } from '../db/dataDirLock.js';

/** The CLI commands that open the database; with PGlite each takes DATA_DIR's lock under its name. */
export type DbCommand = 'serve' | 'migrate' | 'keys create' | 'keys list' | 'keys revoke' | 'rollups rebuild' | 'routes rebuild';

/**
 * What a command says when another process holds DATA_DIR, after "stop that process first (Ctrl-C
 * in its terminal, or kill <pid>)": the way to do the same without the database, where there is one.
 */
const ADVICE: Record<DbCommand, string> = {
  serve: 'or give this one another DATA_DIR',
  migrate: 'though there is no need: a server applies pending migrations itself when it starts',
  'keys create': 'or create the key through its API instead: POST /auth/keys with an admin key',
  'keys list': 'or list the keys through its API instead: GET /auth/keys with an admin key',
  'keys revoke': 'or revoke the key through its API instead: DELETE /auth/keys/<id> with an admin key',
  'rollups rebuild': 'then run the rebuild again',
  'routes rebuild': 'then run the rebuild again',
};

export function dataDirUse(command: DbCommand): Omit<LockOptions, 'name'> {
  return { command, advice: ADVICE[command] };
}

import type { Db } from '../../src/db/db.js';

export interface QueryCount {
  /** Statements run since the count started whose SQL matched. */
  readonly count: number;
  stop(): void;
}

/**
 * Counts the statements a service's database runs whose SQL matches `pattern`: the queries still go
 * to the real database, this only watches them pass (a deterministic measure of database work).
 */
export function countQueries(db: Db, pattern: RegExp): QueryCount {
  const original: Db['query'] = db.query.bind(db);
  let count = 0;
  db.query = (sql, params) => {
    if (pattern.test(sql)) count++;
    return original(sql, params);
  };
  return {
    get count() {
      return count;
    },
    stop: () => void (db.query = original),
  };
}

import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import type { Db } from '../src/db/db.js';
import { openPostgres } from '../src/db/postgres.js';
import { needs } from './helpers/env.js';
import { postgresBinaries, startPrivatePostgres, type PrivatePostgres } from './helpers/privatePostgres.js';

/**
 * The live tail's LISTEN connection outlives a database restart: it says when it lost the connection,
 * reconnects on its own, and hears notifications again. On a private cluster, since it is stopped.
 */


async function until(what: string, pred: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('LISTEN across a PostgreSQL restart', needs(postgresBinaries), () => {
  let cluster: PrivatePostgres | undefined;
  let db: Db | undefined;

  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    db = await openPostgres({ connectionString: cluster.url(), statementTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await db?.close();
    await cluster?.destroy();
  });

  it('reconnects with backoff, keeps its listeners, and reports the gap', async () => {
    onTestFailed(() => console.log(cluster?.log()));
    const heard: string[] = [];
    const events: string[] = [];
    const unlisten = await db!.listen('log_batches', (p) => heard.push(p), {
      lost: () => events.push('lost'),
      restored: () => events.push('restored'),
    });
    await db!.query(`SELECT pg_notify('log_batches', 'before')`);
    await until('the first notification', () => heard.includes('before'));

    await cluster!.stop('fast');
    await until('the loss to be reported', () => events.includes('lost'));
    await cluster!.start();
    await until('the listener to be back', () => events.includes('restored'));
    // The pool's own connections died too: its first query may fail once.
    await db!.query(`SELECT pg_notify('log_batches', 'after')`).catch(() => db!.query(`SELECT pg_notify('log_batches', 'after')`));
    await until('a notification after the restart', () => heard.includes('after'));
    expect(events).toEqual(['lost', 'restored']);

    await unlisten();
    await db!.query(`SELECT pg_notify('log_batches', 'unheard')`);
    await new Promise((r) => setTimeout(r, 300));
    expect(heard).toEqual(['before', 'after']);
  }, 120_000);
});

import { DataDirLockedError } from '../db/dataDirLock.js';

/**
 * Errors a person meets at the command line because of their set-up, not because of a bug. Each
 * becomes one sentence naming the problem and the fix, which the top-level handler prints instead
 * of a stack trace (and exits non-zero). Anything not in this table is unexpected and keeps its trace.
 *
 * | class / code           | what happened                                  | the fix offered                          |
 * |------------------------|------------------------------------------------|------------------------------------------|
 * | DataDirLockedError     | another process holds the embedded DATA_DIR    | its own message names the holder         |
 * | EADDRINUSE (listen)    | serve: HOST:PORT is taken                      | another PORT, or stop that process       |
 * | EACCES (listen)        | serve: a port below 1024 without privileges    | a PORT above 1023                        |
 * | EADDRNOTAVAIL (listen) | serve: HOST is no address of this machine      | HOST=127.0.0.1, 0.0.0.0 or one of its own |
 * | ECONNREFUSED           | nothing listens at DATABASE_URL's host:port    | start PostgreSQL, correct it, or unset it |
 * | ENOTFOUND, EAI_AGAIN   | DATABASE_URL's host name does not resolve      | correct it, or unset DATABASE_URL        |
 * | SQLSTATE 3D000         | DATABASE_URL names a database that is absent   | createdb, or name another                |
 * | SQLSTATE 28000         | the role is unknown (or pg_hba.conf refuses it) | createuser / pg_hba.conf, or another user |
 * | SQLSTATE 28P01         | the password is wrong                          | correct it in DATABASE_URL               |
 * | ECONNREFUSED (client)  | ingest: no server listens at --server          | npm start, or pass --server              |
 * | ENOTFOUND (client)     | ingest: --server's host name does not resolve  | correct --server                         |
 * | EISDIR, ENOENT (client)| ingest: a named file is a directory, or absent | name the files in it; check the path     |
 *
 * The connection errors are read as DATABASE_URL's only when one is set and names the refused port
 * (the unknown host), as the client's server's when `server` is set: a client command (ingest) sets
 * it, and only there are the files the person named the ones EISDIR and ENOENT are about.
 */
export interface ErrorContext {
  /** DATABASE_URL as configured; never printed whole (it may hold a password). */
  databaseUrl?: string | undefined;
  /** The server a client command talks to (its --server); unset for the commands that open the database. */
  server?: string | undefined;
}

type NodeError = Error & { code?: unknown; syscall?: unknown; address?: unknown; port?: unknown; hostname?: unknown; path?: unknown };
type Sentence = (err: NodeError, ctx: ErrorContext) => string | undefined;

const SENTENCES: Readonly<Record<string, Sentence>> = {
  EADDRINUSE: (err) => listening(err, (at, port) =>
    `port ${port} on ${at} is in use (another Log Insights? \`lsof -i :${port}\`); set PORT to another port or stop that process`),
  EACCES: (err) => listening(err, (at, port) =>
    `binding port ${port} on ${at} needs privileges this process lacks; set PORT above 1023 (or put a reverse proxy in front)`),
  EADDRNOTAVAIL: (err) => listening(err, (at) =>
    `HOST ${at} is not an address of this machine; set HOST to 127.0.0.1, 0.0.0.0 or one of its addresses`),
  // Only when the refused port (the unknown host) is DATABASE_URL's: `ingest` against a stopped server fails so too.
  ECONNREFUSED: (err, ctx) => client(ctx, (server) => `no Log Insights server at ${server} (connection refused); start it with \`npm start\` or pass --server`) ?? database(ctx, (db) => {
    const port = typeof err.port === 'number' ? String(err.port) : undefined;
    if (db.port !== undefined && port !== undefined && port !== db.port) return undefined;
    const at = typeof err.address === 'string' && port !== undefined ? `${err.address}:${port}` : db.at;
    return `nothing accepts connections at ${at} (DATABASE_URL); start PostgreSQL there, correct the host and port, or unset DATABASE_URL to use the embedded database`;
  }),
  ENOTFOUND: (err, ctx) => unknownHost(err, ctx),
  EAI_AGAIN: (err, ctx) => unknownHost(err, ctx),
  EISDIR: (err, ctx) => client(ctx, () =>
    `is a directory, not a log file; name the files in it${typeof err.path === 'string' ? ` (${err.path.replace(/\/+$/, '')}/*.log)` : ''}`),
  ENOENT: (err, ctx) => client(ctx, () => (typeof err.path === 'string' ? 'no such file; check the path' : undefined)),
  '3D000': (err, ctx) => database(ctx, (db) => {
    const name = /database "(.+)" does not exist/.exec(err.message)?.[1] ?? db.name;
    return `PostgreSQL at ${db.at} has no database "${name}"; create it (createdb${db.options}${db.user ? ` -U ${db.user}` : ''} ${name}) or name another in DATABASE_URL`;
  }),
  '28000': (err, ctx) => database(ctx, (db) => {
    const role = /role "(.+)" does not exist/.exec(err.message)?.[1];
    const fix = role !== undefined ? `create the role (createuser${db.options} ${role})` : 'allow it in pg_hba.conf';
    const who = role ?? db.user;
    return `PostgreSQL at ${db.at} refused ${who ? `user "${who}"` : 'the user'}: ${err.message}; ${fix} or name another user in DATABASE_URL`;
  }),
  '28P01': (_err, ctx) => database(ctx, (db) =>
    `PostgreSQL at ${db.at} refused the password of ${db.user ? `user "${db.user}"` : 'the user'}; correct the password in DATABASE_URL`),
};

/** The sentence for an error (or for one of its causes), without the `loginsights: ` prefix; undefined when it is not a known set-up error. */
export function errorSentence(err: unknown, ctx: ErrorContext): string | undefined {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof DataDirLockedError) return e.message;
    const code = (e as NodeError).code;
    const sentence = typeof code === 'string' && Object.hasOwn(SENTENCES, code) ? SENTENCES[code]!(e, ctx) : undefined;
    if (sentence !== undefined) return sentence;
  }
  return undefined;
}

/** Only errors of listen() are about HOST and PORT (EACCES also comes from files). */
function listening(err: NodeError, say: (at: string, port: string) => string): string | undefined {
  if (err.syscall !== 'listen' || typeof err.address !== 'string') return undefined;
  return say(err.address, String(err.port));
}

interface DatabaseTarget {
  /** Where, for the sentence: `host:port`, or "the DATABASE_URL server" when the URL is not a WHATWG URL (`postgresql://u@/db?host=/run/postgresql`). */
  at: string;
  host: string | undefined;
  port: string | undefined;
  /** The user and database the URL names ('' when it cannot be read). */
  user: string;
  name: string;
  /** Connection options for createdb/createuser, with a leading space, or empty. */
  options: string;
}

function database(ctx: ErrorContext, say: (db: DatabaseTarget) => string | undefined): string | undefined {
  if (!ctx.databaseUrl) return undefined;
  let url: URL;
  try {
    url = new URL(ctx.databaseUrl);
  } catch {
    return say({ at: 'the DATABASE_URL server', host: undefined, port: undefined, user: '', name: '', options: '' });
  }
  // libpq's defaults for what the URL leaves out (a socket directory in ?host= is shown as given).
  const host = url.searchParams.get('host') ?? (url.hostname || 'localhost');
  const port = url.port || '5432';
  const user = decodeURIComponent(url.username) || 'postgres';
  const name = decodeURIComponent(url.pathname.slice(1)) || user;
  return say({ at: `${host}:${port}`, host, port, user, name, options: ` -h ${host} -p ${port}` });
}

/** A client command's sentence (`server` set); the database's entries then never apply. */
function client(ctx: ErrorContext, say: (server: string) => string | undefined): string | undefined {
  return ctx.server === undefined ? undefined : say(ctx.server);
}

function unknownHost(err: NodeError, ctx: ErrorContext): string | undefined {
  const server = client(ctx, (at) => `the host of ${at} is not found (${String(err.hostname ?? err.code)}); correct --server`);
  if (server !== undefined) return server;
  return database(ctx, (db) => (db.host !== undefined && typeof err.hostname === 'string' && err.hostname !== db.host ? undefined
    : `the host ${db.host === undefined ? '' : `"${db.host}" `}in DATABASE_URL is not found; correct it, or unset DATABASE_URL to use the embedded database`));
}

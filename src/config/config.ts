import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { AddressListError, parseAddressList, type AddressList } from '../domain/addressList.js';
import { AllowedHostsError, parseAllowedDestinations, type AllowedDestinations } from '../domain/destinationPolicy.js';
import { parseDuration } from '../domain/duration.js';

const GiB = 1024 ** 3;

/**
 * TRUST_PROXY, as Fastify's `trustProxy` takes it: `false` (the socket's peer is the client), `true`
 * (believe X-Forwarded-For whoever sends it), or a comma list of proxy addresses, CIDRs and proxy-addr's
 * names (`loopback`, `linklocal`, `uniquelocal`). No hop count: Fastify 5 ignores one (it trusts nothing),
 * since a count cannot tell a proxy from a client that sends X-Forwarded-For itself.
 */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const trustProxy = z.string().default('false').transform((v, ctx): boolean | string[] => {
  const t = v.trim().toLowerCase();
  if (t === 'false') return false;
  if (t === 'true') return true;
  const list = t.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((entry) => {
    if (PROXY_NAMES.has(entry)) return false;
    const [addr = '', bits, extra] = entry.split('/');
    const family = net.isIP(addr);
    if (family === 0 || extra !== undefined) return true;
    return bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (bad !== undefined || list.length === 0) {
    ctx.addIssue({ code: 'custom', message: `expected false, true, or a comma list of proxy addresses, CIDRs (10.0.0.0/8) or loopback/linklocal/uniquelocal${bad ? `; '${bad.slice(0, 60)}' is none` : ''}` });
    return z.NEVER;
  }
  return list;
});

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Environment variables the service reads, with their defaults. Nothing else reads process.env. */
export const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  SECRET_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  ADMIN_API_KEY: z.string().min(32, 'must be at least 32 characters (128 bits or more of randomness)')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
  AUTH_DISABLED: booleanString.default(false),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(0).default(30),
  TRUST_PROXY: trustProxy,
  RAW_QUERIES_PER_KEY: z.coerce.number().int().min(0).max(1000).default(2),
  EMBEDDED_SCAN_MAX_DAYS: z.coerce.number().int().min(0).max(36_500).default(7),
  CORS_ORIGINS: z.string().default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be a comma list of origins such as https://logs.example.com'))),
  SPOOL_DIR: z.string().min(1).optional(),
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(2 * GiB),
  SPOOL_MAX_BYTES: z.coerce.number().int().min(0).default(10 * GiB),
  SPOOL_MIN_FREE_BYTES: z.coerce.number().int().min(0).default(GiB),
  FAILED_SPOOL_KEEP_HOURS: z.coerce.number().min(0).default(72),
  UPLOAD_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  MAX_LINE_BYTES: z.coerce.number().int().min(256).max(16 * 1024 * 1024).default(64 * 1024),
  RETENTION_DAYS: z.coerce.number().int().min(0).default(0),
  ROLLUP_RETENTION_DAYS: z.coerce.number().int().min(0).default(400),
  INGEST_BATCH_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
  INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  INGEST_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  SEARCH_INDEX_IDLE_MS: z.coerce.number().int().min(0).default(10_000),
  QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  ALERT_EVAL_INTERVAL: z.string().default('30s')
    .refine((v) => (parseDuration(v) ?? 0) >= 1000, 'expected a duration of at least 1s, such as 30s or 1m'),
  ALERT_NOTIFY_MAX_AGE: z.string().default('15m').refine((v) => parseDuration(v) !== null, 'expected a duration such as 15m or 1h'),
  ALERT_SPAN_MAX: z.string().default('7d')
    .refine((v) => (parseDuration(v) ?? 0) >= 60_000, 'expected a duration of at least 1m, such as 7d or 12h'),
  NOTIFY_DENY_PRIVATE: booleanString.default(false),
  NOTIFY_ALLOWED_HOSTS: z.string().default('').transform((text, ctx) => {
    try {
      return parseAllowedDestinations(text);
    } catch (err) {
      if (!(err instanceof AllowedHostsError)) throw err;
      ctx.addIssue({ code: 'custom', message: `${err.message}; expected a comma list of host names, addresses and CIDRs` });
      return z.NEVER;
    }
  }),
  SYSLOG_UDP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SYSLOG_TCP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SYSLOG_HOST: z.string().min(1).optional(),
  SYSLOG_ALLOWED_CIDRS: z.string().default('127.0.0.0/8,::1/128').transform((text, ctx) => {
    try {
      return parseAddressList(text);
    } catch (err) {
      if (!(err instanceof AddressListError)) throw err;
      ctx.addIssue({ code: 'custom', message: `${err.message}; expected a comma list of addresses and CIDRs` });
      return z.NEVER;
    }
  }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  RUN_WORKERS: booleanString.default(true),
  ROUTE_RULES: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON: [{"pattern": "/blog/*", "template": "/blog/{slug}"}, ...]' });
        return z.NEVER;
      }
    })
    .pipe(z.array(z.object({ pattern: z.string().startsWith('/'), template: z.string().startsWith('/') }).strict()))
    .default([]),
});

export interface Config {
  /** PostgreSQL connection string; undefined → embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  /** Signs webhooks. Required with PostgreSQL when auth is on; generated into dataDir for the embedded default. */
  secretKey: string | undefined;
  /** Sets the bootstrap admin key (automation, tests) instead of generating one on first start. */
  adminApiKey: string | undefined;
  /** Every request is treated as admin: for local experiments only (a loud warning at start). */
  authDisabled: boolean;
  /** Requests per minute per API key (or per address without one); 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Failed authentications per minute per client address (IPv6: per /64) before 429; 0 turns the limit off. */
  authFailuresPerMinute: number;
  /** Fastify's trustProxy: whose X-Forwarded-For names the client (false: the socket's peer is the client). */
  trustProxy: boolean | string[];
  /** Searches over raw rows (GET /logs, exact client counts, backtests) running at once per key; 0: no limit. */
  rawQueriesPerKey: number;
  /** On PGlite, a search no index serves (q, endpoint, exact clients) may cover at most this many days; 0: no bound. */
  embeddedScanMaxDays: number;
  /** Origins allowed to call the API from a browser; empty → CORS closed. */
  corsOrigins: string[];
  spoolDir: string;
  maxUploadBytes: number;
  /** Uploads are refused (507) once the spool would hold more than this; 0: no quota. */
  spoolMaxBytes: number;
  /** Uploads are refused (507) once they would leave less than this free on the spool's file system; 0: no reserve. */
  spoolMinFreeBytes: number;
  /** A failed job's spool file is removed this long after it failed (its re-upload resumes it with the new file). */
  failedSpoolKeepHours: number;
  /** An upload that sends no bytes for this long is answered 408 and closed. */
  uploadIdleTimeoutMs: number;
  /** Longer lines are stored truncated and rejected with their reason. */
  maxLineBytes: number;
  /** Raw rows older than this many days are dropped (whole partitions: a month's once its last day is past); 0 keeps them forever. */
  retentionDays: number;
  /** Rollups older than this many days go once their raw rows are gone (they outlive the logs); 0 keeps them forever. */
  rollupRetentionDays: number;
  ingestBatchRows: number;
  /** Ingest jobs run at once by this process; further jobs wait in the queue. */
  ingestConcurrency: number;
  /** How long a claimed job stays with a process that stopped renewing it (crashed) before another takes it over. */
  ingestLeaseMs: number;
  /** A partition that received no rows for this long gets its substring-search index built. */
  searchIndexIdleMs: number;
  /** How often live alert evaluation runs (ALERT_EVAL_INTERVAL). */
  alertEvalIntervalMs: number;
  /** Episodes that ended longer ago than this when found (old uploads) are recorded, not notified (ALERT_NOTIFY_MAX_AGE). */
  alertNotifyMaxAgeMs: number;
  /**
   * How much event time after an ingest job is evaluated, counted back from its last record (ALERT_SPAN_MAX):
   * older parts are reported on the job, for a backtest, rather than evaluated in the background.
   */
  alertSpanMaxMs: number;
  /** Notifications are also refused to loopback, private, CGNAT and unspecified addresses (link-local ones always are). */
  notifyDenyPrivate: boolean;
  /** Hosts and CIDRs notifications may go to whatever the address policy says (NOTIFY_ALLOWED_HOSTS). */
  notifyAllowedHosts: AllowedDestinations;
  queryTimeoutMs: number;
  /** Syslog listeners (src/live/syslogServer.ts): a port each for UDP and TCP, off when undefined (0: any free port). */
  syslogUdpPort: number | undefined;
  syslogTcpPort: number | undefined;
  /** The address they bind (SYSLOG_HOST, default HOST). */
  syslogHost: string;
  /** Senders accepted; others are refused and counted (default loopback only). */
  syslogAllowed: AddressList;
  /** Where live inputs journal their lines before they are parsed (DATA_DIR/live). */
  liveDir: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** pretty: one readable line per event; json: JSON lines; auto: pretty when stdout is a terminal. */
  logFormat: z.infer<typeof envSchema>['LOG_FORMAT'];
  /** false: serve the API only, do not claim ingest jobs or run background maintenance. */
  runWorkers: boolean;
  /** Route rules from the configuration, tried before the ones added through the API. */
  routeRules: { pattern: string; template: string }[];
}

export class ConfigError extends Error {}

/** Never echoed in an error: a start-up line ends up in logs. */
const SECRET_VARIABLES = new Set(['SECRET_KEY', 'ADMIN_API_KEY', 'DATABASE_URL']);

/** Validates the environment once; a bad value throws a ConfigError naming the variable and the problem. */
export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const got = SECRET_VARIABLES.has(name) ? 'value hidden' : `got ${JSON.stringify(present[name] ?? null)}`;
    throw new ConfigError(`${name}: ${issue?.message ?? 'invalid value'} (${got})`);
  }
  const e = parsed.data;
  if (e.DATABASE_URL && !e.AUTH_DISABLED && !e.SECRET_KEY) {
    // Several processes share one PostgreSQL; a key generated per machine would sign differently on each.
    throw new ConfigError('SECRET_KEY: required with DATABASE_URL when auth is on (it signs webhooks; every process needs the same one), e.g. SECRET_KEY=$(openssl rand -hex 32)');
  }
  const dataDir = path.resolve(e.DATA_DIR);
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    dataDir,
    host: e.HOST,
    port: e.PORT,
    secretKey: e.SECRET_KEY,
    adminApiKey: e.ADMIN_API_KEY,
    authDisabled: e.AUTH_DISABLED,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    trustProxy: e.TRUST_PROXY,
    rawQueriesPerKey: e.RAW_QUERIES_PER_KEY,
    embeddedScanMaxDays: e.EMBEDDED_SCAN_MAX_DAYS,
    corsOrigins: e.CORS_ORIGINS,
    spoolDir: path.resolve(e.SPOOL_DIR ?? path.join(dataDir, 'spool')),
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    spoolMaxBytes: e.SPOOL_MAX_BYTES,
    spoolMinFreeBytes: e.SPOOL_MIN_FREE_BYTES,
    failedSpoolKeepHours: e.FAILED_SPOOL_KEEP_HOURS,
    uploadIdleTimeoutMs: e.UPLOAD_IDLE_TIMEOUT_MS,
    maxLineBytes: e.MAX_LINE_BYTES,
    retentionDays: e.RETENTION_DAYS,
    rollupRetentionDays: e.ROLLUP_RETENTION_DAYS,
    ingestBatchRows: e.INGEST_BATCH_ROWS,
    ingestConcurrency: e.INGEST_CONCURRENCY,
    ingestLeaseMs: e.INGEST_LEASE_MS,
    searchIndexIdleMs: e.SEARCH_INDEX_IDLE_MS,
    queryTimeoutMs: e.QUERY_TIMEOUT_MS,
    syslogUdpPort: e.SYSLOG_UDP_PORT,
    syslogTcpPort: e.SYSLOG_TCP_PORT,
    syslogHost: e.SYSLOG_HOST ?? e.HOST,
    syslogAllowed: e.SYSLOG_ALLOWED_CIDRS,
    liveDir: path.join(dataDir, 'live'),
    alertEvalIntervalMs: parseDuration(e.ALERT_EVAL_INTERVAL)!,
    alertNotifyMaxAgeMs: parseDuration(e.ALERT_NOTIFY_MAX_AGE)!,
    alertSpanMaxMs: parseDuration(e.ALERT_SPAN_MAX)!,
    notifyDenyPrivate: e.NOTIFY_DENY_PRIVATE,
    notifyAllowedHosts: e.NOTIFY_ALLOWED_HOSTS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    runWorkers: e.RUN_WORKERS,
    routeRules: e.ROUTE_RULES,
  });
}

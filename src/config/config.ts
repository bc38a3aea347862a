import path from 'node:path';
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';

const GiB = 1024 ** 3;

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Environment variables the service reads, with their defaults. Nothing else reads process.env. */
const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  SECRET_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  SPOOL_DIR: z.string().min(1).optional(),
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(2 * GiB),
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
  secretKey: string | undefined;
  spoolDir: string;
  maxUploadBytes: number;
  /** Longer lines are stored truncated and rejected with their reason. */
  maxLineBytes: number;
  /** Raw rows older than this many days are dropped (whole day partitions); 0 keeps them forever. */
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
  queryTimeoutMs: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /** false: serve the API only, do not claim ingest jobs or run background maintenance. */
  runWorkers: boolean;
  /** Route rules from the configuration, tried before the ones added through the API. */
  routeRules: { pattern: string; template: string }[];
}

export class ConfigError extends Error {}

/** Validates the environment once; a bad value throws a ConfigError naming the variable and the problem. */
export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`${name}: ${issue?.message ?? 'invalid value'} (got ${JSON.stringify(present[name] ?? null)})`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    dataDir,
    host: e.HOST,
    port: e.PORT,
    secretKey: e.SECRET_KEY,
    spoolDir: path.resolve(e.SPOOL_DIR ?? path.join(dataDir, 'spool')),
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    maxLineBytes: e.MAX_LINE_BYTES,
    retentionDays: e.RETENTION_DAYS,
    rollupRetentionDays: e.ROLLUP_RETENTION_DAYS,
    ingestBatchRows: e.INGEST_BATCH_ROWS,
    ingestConcurrency: e.INGEST_CONCURRENCY,
    ingestLeaseMs: e.INGEST_LEASE_MS,
    searchIndexIdleMs: e.SEARCH_INDEX_IDLE_MS,
    queryTimeoutMs: e.QUERY_TIMEOUT_MS,
    alertEvalIntervalMs: parseDuration(e.ALERT_EVAL_INTERVAL)!,
    alertNotifyMaxAgeMs: parseDuration(e.ALERT_NOTIFY_MAX_AGE)!,
    logLevel: e.LOG_LEVEL,
    runWorkers: e.RUN_WORKERS,
    routeRules: e.ROUTE_RULES,
  });
}

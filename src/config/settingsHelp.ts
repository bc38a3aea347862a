import { z } from 'zod';
import { envSchema } from './config.js';

type Variable = keyof typeof envSchema.shape;

/**
 * One line per setting, for `serve --help`. The names and defaults come from the schema; the compiler
 * holds this table to exactly the schema's variables, so a new setting cannot ship undescribed.
 * The README's Configuration table says more about each.
 */
const DESCRIPTIONS: Record<Variable, string> = {
  DATABASE_URL: 'PostgreSQL ≥ 15 (postgresql://…); unset: the embedded database in DATA_DIR',
  DATA_DIR: 'embedded database, spool and generated secrets',
  HOST: 'address to listen on',
  PORT: 'port to listen on (0: any free port)',
  SECRET_KEY: 'signs webhooks (≥ 16 characters); unset: generated into DATA_DIR (required with DATABASE_URL)',
  ADMIN_API_KEY: 'the bootstrap admin key (≥ 32 characters); unset: one is generated and printed on first start',
  AUTH_DISABLED: 'true: no API keys, everyone is admin (local experiments only)',
  RATE_LIMIT_PER_MINUTE: 'requests per minute per API key (per address without one); 0: no limit',
  AUTH_FAILURES_PER_MINUTE: 'failed authentications per minute per address before 429; 0: no limit',
  TRUST_PROXY: 'proxies whose X-Forwarded-For names the client: a comma list of addresses or CIDRs, or true',
  RAW_QUERIES_PER_KEY: 'searches over raw rows one key runs at once; 0: no limit',
  EMBEDDED_SCAN_MAX_DAYS: 'embedded database: longest range of a q/endpoint search or exact client count; 0: no bound',
  CORS_ORIGINS: 'comma list of origins allowed to call the API from a browser',
  SPOOL_DIR: 'uploads waiting to be parsed; unset: DATA_DIR/spool',
  MAX_UPLOAD_BYTES: 'largest upload (after gunzip); larger: 413',
  SPOOL_MAX_BYTES: 'uploads that would take the spool past this: 507; 0: no quota',
  SPOOL_MIN_FREE_BYTES: 'uploads that would leave less free space than this: 507; 0: no reserve',
  FAILED_SPOOL_KEEP_HOURS: "a failed job's uploaded file is removed this long after it failed",
  UPLOAD_IDLE_TIMEOUT_MS: 'an upload that sends nothing for this long: 408',
  MAX_LINE_BYTES: 'longer lines are kept truncated and rejected',
  RETENTION_DAYS: 'raw rows older than this are dropped; 0: kept forever',
  ROLLUP_RETENTION_DAYS: 'rollups older than this go once their raw rows are gone; 0: kept forever',
  INGEST_BATCH_ROWS: "rows per committed batch (each commits with the job's checkpoint)",
  INGEST_CONCURRENCY: 'ingest jobs run at once by this process',
  INGEST_LEASE_MS: "a crashed process's job is taken over after this",
  SEARCH_INDEX_IDLE_MS: 'a partition quiet this long gets its substring-search index',
  QUERY_TIMEOUT_MS: 'statement timeout for API queries',
  ALERT_EVAL_INTERVAL: 'how often live alert evaluation runs (a duration: 30s, 1m)',
  ALERT_NOTIFY_MAX_AGE: 'episodes that ended longer ago than this when found are recorded, not notified',
  ALERT_SPAN_MAX: 'most event time evaluated for alerts after an ingest job (back from its last record) and for a new rule\'s evaluate_from (back from the last record stored)',
  NOTIFY_DENY_PRIVATE: 'true: no notifications to loopback, private or CGNAT addresses either',
  NOTIFY_ALLOWED_HOSTS: 'comma list of hosts and CIDRs notifications may always go to',
  SYSLOG_UDP_PORT: 'syslog over UDP (RFC 3164/5424; nginx access_log syslog:) on this port; unset: off',
  SYSLOG_TCP_PORT: 'syslog over TCP (RFC 6587 octet counting or newlines) on this port; unset: off',
  SYSLOG_HOST: 'address the syslog listeners bind; unset: HOST',
  SYSLOG_ALLOWED_CIDRS: 'comma list of addresses and CIDRs syslog is accepted from; others are refused and counted',
  LOG_LEVEL: 'how much the server logs',
  LOG_FORMAT: 'readable lines or JSON lines; auto: readable on a terminal, JSON otherwise',
  RUN_WORKERS: 'false: serve the API only (no ingestion, no background maintenance)',
  ROUTE_RULES: 'JSON list of route rules: [{"pattern": "/blog/*", "template": "/blog/{slug}"}]',
};

/** The value a variable takes when unset, as one would write it; undefined when it has none. */
export function defaultOf(schema: z.ZodType): unknown {
  if (schema instanceof z.ZodDefault) return (schema.def as { defaultValue: unknown }).defaultValue;
  if (schema instanceof z.ZodPipe) return defaultOf(schema.in as z.ZodType);
  return undefined;
}

/** The values an enumerated setting takes (LOG_LEVEL), from the schema; booleans' spellings are left out. */
function choicesOf(schema: z.ZodType): readonly string[] {
  if (schema instanceof z.ZodEnum) return schema.options as string[];
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) return choicesOf(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodPipe) return choicesOf(schema.in as z.ZodType);
  return [];
}

function shown(value: unknown): string {
  if (value === undefined) return 'unset';
  if (value === '') return 'empty';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Every setting with its default and what it does, aligned in columns. */
export function describeSettings(): string {
  const rows = (Object.keys(envSchema.shape) as Variable[]).map((name) => {
    const schema = envSchema.shape[name];
    const value = defaultOf(schema);
    const choices = typeof value === 'boolean' ? [] : choicesOf(schema);
    return [name, shown(value), choices.length ? `${DESCRIPTIONS[name]}: ${choices.join(', ')}` : DESCRIPTIONS[name]] as const;
  });
  const nameWidth = Math.max(...rows.map(([n]) => n.length));
  const defaultWidth = Math.max(...rows.map(([, d]) => d.length));
  return [
    'Environment variables (or a .env file in the working directory; the environment wins):',
    `  ${'name'.padEnd(nameWidth)}  ${'default'.padEnd(defaultWidth)}  meaning`,
    ...rows.map(([name, value, text]) => `  ${name.padEnd(nameWidth)}  ${value.padEnd(defaultWidth)}  ${text}`),
  ].join('\n');
}

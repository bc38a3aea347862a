import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config/config.js';
import { formatLogLine } from './prettyLog.js';

export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    base: { service: 'loginsights' },
    // "2026-12-06T13:05:42.123Z" rather than epoch milliseconds: read as is, by people and by tools.
    timestamp: pino.stdTimeFunctions.isoTime,
    // Fastify's request serialiser logs no headers today; this keeps keys out should that ever change.
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]'], censor: '[redacted]' },
  };
}

/** LOG_FORMAT=auto reads best as text on a terminal; piped into a file or a collector, JSON lines. */
export function usesPrettyLog(format: Config['logFormat'], isTerminal: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && isTerminal);
}

/**
 * The service's logger, writing to stdout (or to `destination`, always JSON: tests read it). Pretty
 * output formats each JSON line pino writes into text, synchronously, so lines keep their order with
 * what else the process prints (the generated admin key).
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, destination?: NodeJS.WritableStream): Logger {
  if (destination) return pino(loggerOptions(config), destination);
  const stdout = process.stdout;
  const terminal = stdout.isTTY === true;
  if (!usesPrettyLog(config.logFormat, terminal)) return pino(loggerOptions(config));
  const pretty: DestinationStream = { write: (line) => void stdout.write(formatLogLine(line, { colour: terminal })) };
  return pino(loggerOptions(config), pretty);
}

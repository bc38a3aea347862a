import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions, usesPrettyLog } from './logger.js';
import { formatLogLine } from './prettyLog.js';

/** The JSON lines the service's own logger writes (ISO times, its base fields). */
function logged(write: (logger: pino.Logger) => void): string[] {
  const lines: string[] = [];
  write(pino(loggerOptions({ logLevel: 'info' }), { write: (line: string) => void lines.push(line) }));
  return lines;
}

const TIME = /^\d\d:\d\d:\d\d /;

describe('formatLogLine', () => {
  it('prints a completed request as one line: method, URL, status, duration', () => {
    const line = JSON.stringify({
      level: 30, time: '2026-12-06T13:05:42.123Z', service: 'loginsights', reqId: 'req-7',
      req: { method: 'GET', url: '/logs?q=x', host: 'localhost:8000', remoteAddress: '127.0.0.1', remotePort: 50_000 },
      res: { statusCode: 200 }, responseTime: 12.4, msg: 'request completed',
    });
    expect(formatLogLine(`${line}\n`)).toBe('13:05:42 INFO  GET /logs?q=x 200 12 ms\n');
  });

  it('prints a warning with its level name and message, and times as UTC HH:MM:SS', () => {
    const [line] = logged((log) => log.warn('AUTH_DISABLED=true: every request is served without an API key'));
    const text = formatLogLine(line!);
    expect(text).toMatch(TIME);
    expect(text.slice(9)).toBe('WARN  AUTH_DISABLED=true: every request is served without an API key\n');
    expect(text.slice(0, 8)).toBe((JSON.parse(line!) as { time: string }).time.slice(11, 19));
  });

  it('prints an error with its message on the line and its stack on indented lines below', () => {
    const err = Object.assign(new Error('relation "x" does not exist'), { code: '42P01' });
    const [line] = logged((log) => log.error({ err }, 'unhandled error'));
    const [head, ...rest] = formatLogLine(line!).trimEnd().split('\n');
    expect(head).toMatch(/^\d\d:\d\d:\d\d ERROR unhandled error: relation "x" does not exist$/);
    expect(rest[0]).toBe('    code=42P01');
    expect(rest[1]).toBe('    Error: relation "x" does not exist');
    expect(rest.slice(2).length).toBeGreaterThan(0);
    expect(rest.slice(2).every((l) => /^ {4}\s*at /.test(l))).toBe(true);
  });

  it('keeps fields it does not know as key=value, quoting strings with spaces', () => {
    const [line] = logged((log) => log.info({ job_id: 'j1', versions: [1, 2], note: 'two words', count: 3 }, 'applied database migrations'));
    expect(formatLogLine(line!).slice(9)).toBe('INFO  applied database migrations job_id=j1 versions=[1,2] note="two words" count=3\n');
  });

  it('prints the start-up summary as aligned lines under its event', () => {
    const [line] = logged((log) => log.info({ startup: { url: 'http://127.0.0.1:8000', data_dir: '/srv/data', inputs: ['uploads', 'syslog'] } }, 'Log Insights is ready'));
    expect(formatLogLine(line!).slice(9)).toBe(
      'INFO  Log Insights is ready\n    url       http://127.0.0.1:8000\n    data dir  /srv/data\n    inputs    uploads, syslog\n',
    );
  });

  it('colours problems on a terminal only', () => {
    const [line] = logged((log) => log.error('boom'));
    expect(formatLogLine(line!, { colour: true })).toContain('\x1b[31mERROR\x1b[0m boom');
    expect(formatLogLine(line!)).not.toContain('\x1b[');
  });

  it('passes a line that is not JSON through unchanged', () => {
    expect(formatLogLine('plain text\n')).toBe('plain text\n');
  });
});

describe('usesPrettyLog', () => {
  it('is readable on a terminal by default, JSON elsewhere, and either when asked', () => {
    expect([usesPrettyLog('auto', true), usesPrettyLog('auto', false)]).toEqual([true, false]);
    expect([usesPrettyLog('json', true), usesPrettyLog('pretty', false)]).toEqual([false, true]);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateNginxTimed } from '../bench/generate.js';
import { describeBackends } from './helpers/db.js';
import { rsyslog, startRsyslog, type RunningRsyslog } from './helpers/rsyslog.js';
import { startTestService, type TestService } from './helpers/service.js';

/** Generated access lines around now, without newlines. */
function accessLines(n: number, seed: number): string[] {
  return [...generateNginxTimed({ lines: n, seed, startMs: Date.now() - 60_000, stepMs: 20 })].join('').split('\n').filter(Boolean);
}

/** Records stored for a source: count, 5xx, and the sum of latencies (ms). */
async function stored(svc: TestService, source: string): Promise<{ n: number; errors: number; latency: number }> {
  return (await svc.db.query<{ n: number; errors: number; latency: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE status_code >= 500)::int AS errors, coalesce(round(sum(latency_ms)), 0)::int AS latency
     FROM logs WHERE source = $1`, [source])).rows[0]!;
}

function expectedOf(lines: string[]): { n: number; errors: number; latency: number } {
  let errors = 0;
  let latency = 0;
  for (const l of lines) {
    if (Number(/" (\d{3}) /.exec(l)![1]) >= 500) errors++;
    const rt = /" ([\d.]+) (?:[\d.]+|-)$/.exec(l);
    if (rt) latency += Number(rt[1]) * 1000;
  }
  return { n: lines.length, errors, latency: Math.round(latency) };
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// rsyslog as people run it beside a web server: following the access log (imfile) and forwarding over TCP
// with octet counting (omfwd), in RFC 5424.
describeBackends('rsyslog imfile + omfwd (TCP, octet-counted) into %s', [rsyslog], (kind) => {
  let svc: TestService;
  let fwd: RunningRsyslog;
  let logFile: string;
  beforeAll(async () => {
    svc = await startTestService(kind, { SYSLOG_TCP_PORT: '0' });
    fwd = await startRsyslog((dir) => {
      logFile = path.join(dir, 'access.log');
      fs.writeFileSync(logFile, '');
      return `module(load="imfile")
input(type="imfile" File="${path.join(dir, 'access.log')}" Tag="rsys-web" ruleset="forward")
ruleset(name="forward") {
  action(type="omfwd" target="127.0.0.1" port="${svc.syslog!.tcpPort}" protocol="tcp" TCP_Framing="octet-counted"
         template="RSYSLOG_SyslogProtocol23Format")
}`;
    });
  }, 60_000);
  afterAll(async () => {
    await fwd?.stop();
    await svc?.close();
  });

  it('delivers a file it follows, and the lines appended to it later, each exactly once', async () => {
    const first = accessLines(2000, 11);
    fs.appendFileSync(logFile, `${first.join('\n')}\n`);
    expect(await until(() => stored(svc, 'rsys-web'), (s) => s.n >= first.length)).toEqual(expectedOf(first));
    const more = accessLines(500, 12);
    fs.appendFileSync(logFile, `${more.join('\n')}\n`);
    const all = [...first, ...more];
    expect(await until(() => stored(svc, 'rsys-web'), (s) => s.n >= all.length)).toEqual(expectedOf(all));
    const rejected = await svc.db.query<{ n: number }>("SELECT coalesce(sum(lines_rejected), 0)::int AS n FROM ingest_jobs WHERE source = 'rsys-web'");
    expect(rejected.rows[0]!.n).toBe(0);
  }, 90_000);
});

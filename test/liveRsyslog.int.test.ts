import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from './helpers/db.js';
import { accessLines, linesSummary, storedSummary, until } from './helpers/liveLines.js';
import { rsyslog, startRsyslog, type RunningRsyslog } from './helpers/rsyslog.js';
import { startTestService, type TestService } from './helpers/service.js';

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
    expect(await until(() => storedSummary(svc, 'rsys-web'), (s) => s.n >= first.length)).toEqual(linesSummary(first));
    const more = accessLines(500, 12);
    fs.appendFileSync(logFile, `${more.join('\n')}\n`);
    const all = [...first, ...more];
    expect(await until(() => storedSummary(svc, 'rsys-web'), (s) => s.n >= all.length)).toEqual(linesSummary(all));
    const rejected = await svc.db.query<{ n: number }>("SELECT coalesce(sum(lines_rejected), 0)::int AS n FROM ingest_jobs WHERE source = 'rsys-web'");
    expect(rejected.rows[0]!.n).toBe(0);
  }, 90_000);
});

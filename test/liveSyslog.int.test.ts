import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, describeBackends } from './helpers/db.js';
import { accessLines, linesSummary, storedSummary, until } from './helpers/liveLines.js';
import { startTestService, type TestService } from './helpers/service.js';

/** Writes the chunks to one connection, a pause between them (so the server reads them apart), then closes it. */
function sendTcp(port: number, ...chunks: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      void (async () => {
        for (const c of chunks.slice(0, -1)) {
          s.write(c);
          await new Promise((r) => setTimeout(r, 50));
        }
        s.end(chunks.at(-1) ?? Buffer.alloc(0));
      })();
    });
    s.on('error', reject);
    // Its close means the server has read it all (not yet journaled: the tests wait for the records).
    s.on('close', () => resolve());
  });
}

async function sendUdp(port: number, messages: string[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  for (const m of messages) {
    await new Promise<void>((resolve, reject) => socket.send(m, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }
  socket.close();
}

describeBackends('syslog input on %s', (kind) => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(kind, { SYSLOG_UDP_PORT: '0', SYSLOG_TCP_PORT: '0' });
  }, 60_000);
  afterAll(async () => svc?.close());

  it('stores what TCP senders deliver (RFC 5424, octet-counted; RFC 3164, newline-framed), by TAG, exactly: counts, statuses, latencies', async () => {
    const a = accessLines(3000, 1);
    const b = accessLines(2000, 2);
    const counted = Buffer.concat(a.map((l) => {
      const m = Buffer.from(`<134>1 ${new Date().toISOString()} host-a app-a 42 - - ${l}`);
      return Buffer.concat([Buffer.from(`${m.length} `), m]);
    }));
    const framed = Buffer.from(b.map((l) => `<134>Dec  6 22:10:01 host-b app-b[7]: ${l}\n`).join(''));
    // Cut mid-message, in two writes to one connection.
    await sendTcp(svc.syslog!.tcpPort!, counted.subarray(0, 100_001), counted.subarray(100_001));
    await sendTcp(svc.syslog!.tcpPort!, framed);
    expect(await until(() => storedSummary(svc, 'app-a'), (s) => s.n >= a.length)).toEqual(linesSummary(a));
    expect(await until(() => storedSummary(svc, 'app-b'), (s) => s.n >= b.length)).toEqual(linesSummary(b));
  }, 60_000);

  it('stores UDP datagrams (nginx-style RFC 3164), one message each, under their TAG', async () => {
    const c = accessLines(500, 3);
    await sendUdp(svc.syslog!.udpPort!, c.map((l) => `<190>Dec  6 22:10:01 web-host udp-src: ${l}`));
    // Loopback UDP at this pace loses nothing; were the kernel to drop, /metrics would say so.
    expect(await until(() => storedSummary(svc, 'udp-src'), (s) => s.n >= c.length)).toEqual(linesSummary(c));
    const metrics = (await svc.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/loginsights_live_lines_received_total\{protocol="syslog-udp"\} 500/);
    expect(metrics).toMatch(/loginsights_syslog_udp_receive_drops 0/);
  }, 60_000);

  it.each([
    ['TCP, RFC 5424, octet-counted', ['-T', '--rfc5424', '--octet-count'], 'logger-tcp'],
    ['UDP, RFC 3164', ['-d', '--rfc3164'], 'logger-udp'],
  ])("delivers util-linux logger's lines (%s) exactly", async (_, flags, tag) => {
    const lines = accessLines(500, tag.length);
    const file = path.join(os.tmpdir(), `li-logger-${tag}-${process.pid}.log`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    try {
      const port = flags.includes('-T') ? svc.syslog!.tcpPort! : svc.syslog!.udpPort!;
      // -f: one message per line of the file, as Apache's `CustomLog "| logger …"` sends each line.
      execFileSync('logger', ['-n', '127.0.0.1', '-P', String(port), ...flags, '-t', tag, '--size', '8192', '-f', file]);
      expect(await until(() => storedSummary(svc, tag), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));
    } finally {
      fs.rmSync(file, { force: true });
    }
  }, 60_000);

  it('parks a segment whose source went quiet (its thread let go, its checkpoint kept) and takes it up again when lines come', async () => {
    const [first, second] = [accessLines(300, 31), accessLines(200, 32)];
    const frame = (l: string): string => `<134>Dec  6 22:10:01 h quiet-src: ${l}\n`;
    await sendTcp(svc.syslog!.tcpPort!, Buffer.from(first.map(frame).join('')));
    expect(await until(() => storedSummary(svc, 'quiet-src'), (s) => s.n >= first.length)).toEqual(linesSummary(first));
    const job = async (): Promise<{ status: string; lines_processed: number }> => (await svc.db.query<{ status: string; lines_processed: number }>(
      "SELECT status, lines_processed FROM ingest_jobs WHERE source = 'quiet-src'")).rows[0]!;
    expect(await until(job, (j) => j.status === 'queued', 20_000)).toEqual({ status: 'queued', lines_processed: first.length });
    await sendTcp(svc.syslog!.tcpPort!, Buffer.from(second.map(frame).join('')));
    expect(await until(() => storedSummary(svc, 'quiet-src'), (s) => s.n >= 500)).toEqual(linesSummary([...first, ...second]));
    expect((await svc.db.query("SELECT count(*)::int AS n FROM ingest_jobs WHERE source = 'quiet-src'")).rows).toEqual([{ n: 1 }]);
  }, 60_000);

  it('shows each live segment as an open ingest job that follows its file: running, or queued (parked) while its source is quiet', async () => {
    const jobs = await svc.db.query<{ source: string; live_protocol: string; status: string; sealed: boolean }>(
      `SELECT source, live_protocol, status, sealed_at IS NOT NULL AS sealed FROM ingest_jobs
       WHERE live_protocol IS NOT NULL AND source IN ('app-a', 'app-b', 'udp-src') ORDER BY source`);
    expect(jobs.rows.map((j) => [j.source, j.live_protocol, j.sealed])).toEqual([
      ['app-a', 'syslog-tcp', false], ['app-b', 'syslog-tcp', false], ['udp-src', 'syslog-udp', false],
    ]);
    for (const j of jobs.rows) expect(['running', 'queued']).toContain(j.status);
  });
});

describe('syslog senders outside SYSLOG_ALLOWED_CIDRS', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService('pglite', { SYSLOG_UDP_PORT: '0', SYSLOG_TCP_PORT: '0', SYSLOG_ALLOWED_CIDRS: '10.0.0.0/8' });
  }, 60_000);
  afterAll(async () => svc?.close());

  it('are refused and counted, and nothing of theirs is stored', async () => {
    await sendUdp(svc.syslog!.udpPort!, ['<190>Dec  6 22:10:01 h refused: 10.0.0.1 - - [06/Dec/2026:22:10:01 +0000] "GET / HTTP/1.1" 200 1 "-" "-"']);
    await sendTcp(svc.syslog!.tcpPort!, Buffer.from('<190>Dec  6 22:10:01 h refused: x\n')).catch(() => undefined);
    const metrics = await until(async () => (await svc.inject({ method: 'GET', url: '/metrics' })).body,
      (m) => /senders_refused_total\{protocol="syslog-udp"\} 1/.test(m) && /senders_refused_total\{protocol="syslog-tcp"\} 1/.test(m));
    expect(metrics).toMatch(/loginsights_live_senders_refused_total\{protocol="syslog-udp"\} 1/);
    expect(metrics).toMatch(/loginsights_live_senders_refused_total\{protocol="syslog-tcp"\} 1/);
    expect((await svc.db.query('SELECT 1 FROM ingest_jobs WHERE live_protocol IS NOT NULL')).rows).toEqual([]);
  });
});

describeBackends('live segments across restarts on %s', (kind) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-live-restart-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('a segment sealed at shutdown is finished by the next start; one whose process died is cut back to its last whole line', async () => {
    const env: Record<string, string> = { DATA_DIR: dataDir, SYSLOG_TCP_PORT: '0' };
    if (kind === 'postgres') env.DATABASE_URL = await createPostgresDatabase();
    const first = await startTestService(kind, env);
    const lines = accessLines(2000, 4);
    await sendTcp(first.syslog!.tcpPort!, Buffer.from(lines.map((l) => `<134>Dec  6 22:10:01 h restart: ${l}\n`).join('')));
    // Read once the connection closed, and journaled by the close (it waits for that); closing at once leaves
    // most of the parsing to the next start.
    await first.close();

    // A segment left by a process that died mid-write: its appender's claim long expired, a torn last line.
    const second = await startTestService(kind, env);
    const orphan = accessLines(300, 5);
    const file = path.join(dataDir, 'live', 'orphan.log');
    fs.writeFileSync(file, `${orphan.join('\n')}\n${orphan[0]!.slice(0, 40)}`);
    await second.db.query(
      `INSERT INTO ingest_jobs (source, format_requested, spool_path, sha256, bytes_total, live_protocol, appender, appender_until)
       VALUES ('orphan', 'auto', $1, 'live:orphan', 0, 'syslog-tcp', 'dead-process', now() - interval '1 hour')`, [file]);
    await second.close();
    const third = await startTestService(kind, env);
    try {
      expect(await until(() => storedSummary(third, 'restart'), (s) => s.n >= lines.length)).toEqual(linesSummary(lines));
      expect(await until(() => storedSummary(third, 'orphan'), (s) => s.n >= orphan.length)).toEqual(linesSummary(orphan));
      const jobs = await until(async () => (await third.db.query<{ status: string; rejected: number }>(
        "SELECT status, lines_rejected::int AS rejected FROM ingest_jobs WHERE source IN ('restart', 'orphan')")).rows,
      (rows) => rows.every((r) => r.status === 'succeeded'));
      expect(jobs.every((j) => j.status === 'succeeded' && j.rejected === 0)).toBe(true);
      // The files go once their jobs are done (just after).
      expect(await until(async () => fs.readdirSync(path.join(dataDir, 'live')), (files) => files.length === 0)).toEqual([]);
    } finally {
      await third.close();
    }
  }, 120_000);
});

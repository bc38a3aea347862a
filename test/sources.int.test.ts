import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceStatus } from '../src/api/wireTypes.js';
import { buildServer, type App } from '../src/api/server.js';
import { ensureBootstrapKey } from '../src/auth/apiKeys.js';
import { loadConfig } from '../src/config/config.js';
import type { Db } from '../src/db/db.js';
import { LiveJournal } from '../src/live/journal.js';
import { startSyslog, type SyslogListeners } from '../src/live/syslogServer.js';
import { describeBackends, openTestDb } from './helpers/db.js';
import { ADMIN_HEADERS, TEST_ADMIN_KEY } from './helpers/env.js';
import { accessLines, until } from './helpers/liveLines.js';
import { startTestService, type TestService } from './helpers/service.js';

const SEC = 1_000;

/** A `_bulk` body: each line a document of `source`. */
const bulk = (source: string, lines: readonly string[]): string =>
  `${lines.flatMap((message) => [JSON.stringify({ create: { _index: source } }), JSON.stringify({ message })]).join('\n')}\n`;

describeBackends('GET /sources on %s', (kind) => {
  describe('through the service and its real inputs', () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startTestService(kind, {}, { listen: true });
    }, 60_000);
    afterAll(async () => svc?.close());

    const sources = async (): Promise<SourceStatus[]> => (await svc.getJson<{ items: SourceStatus[] }>('/sources')).body.items;
    const find = (items: SourceStatus[], source: string): SourceStatus | undefined => items.find((s) => s.source === source);

    it('lists each live sender with its protocol, last seen, rate and counts, a rejected line among them, and uploads as `upload`', async () => {
      const sentFrom = Date.now();
      const shipped = accessLines(20, 31);
      shipped.splice(10, 0, 'this is no access log line');
      const ship = await fetch(`${svc.url}/ingest/stream?source=shipped&stream=host%2Fa&offset=0`, {
        method: 'POST', body: `${shipped.join('\n')}\n`, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'text/plain' },
      });
      expect(ship.status).toBe(200);
      const es = await fetch(`${svc.url}/es/_bulk`, {
        method: 'POST', body: bulk('es-web', accessLines(15, 32)), headers: { authorization: `ApiKey ${TEST_ADMIN_KEY}`, 'content-type': 'application/x-ndjson' },
      });
      expect(es.status).toBe(200);
      const upload = await svc.upload(`${accessLines(7, 33).join('\n')}\n`, { source: 'uploaded' });
      await svc.waitForJob(upload.body.job_id);

      const items = await until(sources, (all) => ['shipped', 'es-web'].every((s) => {
        const item = find(all, s);
        return item !== undefined && item.lines_processed === item.lines_received && item.lag_bytes === 0;
      }));
      expect(items.map((s) => [s.source, s.protocol])).toEqual([['es-web', 'elasticsearch'], ['shipped', 'ship'], ['uploaded', 'upload']]);
      expect(find(items, 'shipped')).toMatchObject({
        lines_received: 21, lines_processed: 21, lines_rejected: 1, lag_bytes: 0, lines_dropped: 0, refusals: 0, last_error: null, status: 'receiving',
      });
      expect(find(items, 'es-web')).toMatchObject({ lines_received: 15, lines_processed: 15, lines_rejected: 0, status: 'receiving' });
      for (const live of ['shipped', 'es-web']) {
        const item = find(items, live)!;
        expect(Date.parse(item.last_seen!)).toBeGreaterThanOrEqual(sentFrom - 1);
        expect(Date.parse(item.first_seen)).toBeLessThanOrEqual(Date.parse(item.last_seen!));
        expect(item.lines_per_sec).toBeGreaterThan(0);
      }
      // An upload has no rate and never goes silent; what the database holds of it is all there is.
      expect(find(items, 'uploaded')).toMatchObject({
        lines_received: null, lines_per_sec: null, lines_processed: 7, lines_rejected: 0, lag_bytes: 0, status: 'idle', last_error: null,
      });
    }, 60_000);

    it('is documented and needs the read scope', async () => {
      const { body: doc } = await svc.getJson<{ paths: Record<string, { get?: { summary?: string } }> }>('/docs/json');
      expect(doc.paths['/sources']?.get?.summary).toMatch(/per protocol/);
      const anonymous = await svc.inject({ method: 'GET', url: '/sources', headers: { authorization: 'Bearer li_nobody' } });
      expect(anonymous.statusCode).toBe(401);
    });
  });

  /**
   * The journal on a clock the test moves and a short silence rule, behind the real API and syslog
   * input, with no ingest runner: nothing is ever committed, so the backlog limit is reached on purpose.
   */
  describe('silence, refusals and drops, on a clock the test moves', () => {
    const clock = { now: Date.now() };
    const logs: { level: number; source?: string; msg: string }[] = [];
    let db: Db;
    let dir: string;
    let journal: LiveJournal;
    let app: App;
    let syslog: SyslogListeners;
    beforeAll(async () => {
      db = await openTestDb(kind);
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'li-sources-'));
      const logger = pino({ level: 'info' }, { write: (l: string) => void logs.push(JSON.parse(l) as (typeof logs)[number]) });
      journal = new LiveJournal({
        db, logger, dir: path.join(dir, 'live'), maxBacklogBytes: 20_000,
        activity: { now: () => clock.now, rule: { minSilenceMs: 60 * SEC, gapFactor: 10, steadyArrivals: 3, steadySpanMs: 20 * SEC } },
      });
      await journal.start();
      await ensureBootstrapKey(db, TEST_ADMIN_KEY);
      const config = loadConfig({ DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', ADMIN_API_KEY: TEST_ADMIN_KEY });
      const registry = new Registry();
      app = await buildServer({ config, db, registry, journal, onJobQueued: () => undefined, logger: false });
      syslog = await startSyslog({
        journal, logger, registry, host: '127.0.0.1', udpPort: 0, tcpPort: undefined, allowed: config.syslogAllowed, maxMessageBytes: 65_536,
      });
    }, 60_000);
    afterAll(async () => {
      await syslog?.close();
      await app?.close();
      await journal?.close();
      await db?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const sendBulk = async (source: string, lines: readonly string[]) =>
      (await app.inject({ method: 'POST', url: '/es/_bulk', payload: bulk(source, lines), headers: { authorization: `ApiKey ${TEST_ADMIN_KEY}` } })).statusCode;
    const item = async (source: string, protocol = 'elasticsearch'): Promise<SourceStatus | undefined> =>
      (await app.inject({ method: 'GET', url: '/sources', headers: ADMIN_HEADERS })).json<{ items: SourceStatus[] }>().items
        .find((s) => s.source === source && s.protocol === protocol);
    const silentGauge = async (source: string): Promise<string | undefined> => {
      const text = (await app.inject({ method: 'GET', url: '/metrics', headers: ADMIN_HEADERS })).body;
      return new RegExp(`^loginsights_live_source_silent\\{source="${source}",protocol="elasticsearch"\\} (\\d)$`, 'm').exec(text)?.[1];
    };
    const warnings = (source: string) => logs.filter((l) => l.source === source && l.level === 40);
    const resumptions = (source: string) => logs.filter((l) => l.source === source && l.level === 30 && /sending again/.test(l.msg));

    it('a steady sender that stops turns silent once past its threshold: status, one warning, the gauge; its return is logged', async () => {
      for (let i = 0; i < 3; i++) {
        if (i > 0) clock.now += 10 * SEC;
        expect(await sendBulk('steady', accessLines(1, 40 + i))).toBe(200);
      }
      expect(await item('steady')).toMatchObject({ status: 'receiving', lines_received: 3 });
      expect(await silentGauge('steady')).toBe('0');

      clock.now += 100 * SEC; // ten gaps of 10 s: still within its threshold
      journal.activity.check();
      expect(await item('steady')).toMatchObject({ status: 'receiving' });
      expect(warnings('steady')).toEqual([]);

      clock.now += 1 * SEC;
      journal.activity.check();
      journal.activity.check();
      expect(await item('steady')).toMatchObject({ status: 'silent' });
      expect(await silentGauge('steady')).toBe('1');
      expect(warnings('steady')).toHaveLength(1);
      expect(warnings('steady')[0]!.msg).toMatch(/went silent/);

      expect(await sendBulk('steady', accessLines(1, 44))).toBe(200);
      expect(await item('steady')).toMatchObject({ status: 'receiving', lines_received: 4 });
      expect(await silentGauge('steady')).toBe('0');
      expect(resumptions('steady')).toHaveLength(1);
      expect(warnings('steady')).toHaveLength(1);
    });

    it('a sender that was never steady goes idle, not silent', async () => {
      expect(await sendBulk('once', accessLines(2, 45))).toBe(200);
      clock.now += 10 * 60 * SEC;
      journal.activity.check();
      expect(await item('once')).toMatchObject({ status: 'idle', lines_received: 2 });
      expect(warnings('once')).toEqual([]);
    });

    it('counts refusals when the backlog is full (HTTP answers 429) and UDP lines dropped for it, with the last error', async () => {
      // Nothing is committed without a runner: lines past the backlog limit are refused.
      expect(await sendBulk('flood', accessLines(200, 46))).toBe(200);
      expect(await sendBulk('flood', accessLines(5, 47))).toBe(429);
      expect(await item('flood')).toMatchObject({
        lines_received: 200, refusals: 1, lines_dropped: 0, last_error: { message: expect.stringMatching(/bytes behind/) as string },
      });
      expect((await item('flood'))!.lag_bytes).toBeGreaterThan(20_000);

      const socket = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => socket.send(`<190>Dec  6 22:10:01 web-host udp-src: ${accessLines(1, 48)[0]!}`,
        syslog.udpPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      socket.close();
      const udp = await until(() => item('udp-src', 'syslog-udp'), (s) => s !== undefined, 10_000);
      expect(udp).toMatchObject({ lines_dropped: 1, refusals: 0, lines_received: 0, last_seen: null, last_error: { message: expect.stringMatching(/bytes behind/) as string } });
    });
  });
});

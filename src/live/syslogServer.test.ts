import net from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddressList } from '../domain/addressList.js';
import { BacklogFullError, type LiveJournal } from './journal.js';
import type { JournalLines } from './journalLines.js';
import { startSyslog, type SyslogListeners } from './syslogServer.js';

/** A journal whose appends wait until the test lets them through, recording what each carried. */
class HeldJournal {
  readonly appends: { source: string; text: string }[] = [];
  private release: (() => void)[] = [];
  held = true;

  append(source: string, _protocol: string, lines: JournalLines): Promise<void> {
    this.appends.push({ source, text: lines.data.toString('utf8') });
    if (!this.held) return Promise.resolve();
    return new Promise((resolve) => this.release.push(resolve));
  }

  letGo(): void {
    this.held = false;
    for (const r of this.release.splice(0)) r();
  }
}

const until = async (check: () => boolean, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('syslog over TCP', () => {
  let listeners: SyslogListeners | undefined;
  afterEach(async () => listeners?.close());

  it('reads ahead of a slow journal only so far, then in order, each message once', async () => {
    const journal = new HeldJournal();
    listeners = await startSyslog({
      journal: journal as unknown as LiveJournal, logger: pino({ level: 'silent' }), registry: new Registry(), host: '127.0.0.1',
      udpPort: undefined, tcpPort: 0, allowed: parseAddressList('127.0.0.0/8'), maxMessageBytes: 65_536,
    });
    // 24 MB of newline-framed messages, more than the kernel's buffers on both ends hold.
    const lines = Array.from({ length: 120_000 }, (_, i) => `line ${String(i).padStart(6, '0')} ${'x'.repeat(180)}`);
    const client = net.connect(listeners.tcpPort!, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const sent = new Promise<void>((resolve) => client.end(Buffer.from(lines.map((l) => `<134>Dec  7 10:00:00 web app-x: ${l}\n`).join('')), resolve));

    // The first append waits; what comes meanwhile is read up to the read-ahead, and the connection is not read further.
    await until(() => journal.appends.length === 1);
    await new Promise((r) => setTimeout(r, 500));
    expect(journal.appends).toHaveLength(1);
    expect(client.writableLength).toBeGreaterThan(0);

    journal.letGo();
    await sent;
    const all = () => journal.appends.flatMap((a) => a.text.split('\n').filter(Boolean));
    await until(() => all().length >= lines.length);
    expect(all()).toEqual(lines);
    expect(new Set(journal.appends.map((a) => a.source))).toEqual(new Set(['app-x']));
    // The second append took what was read while the first waited: at most the read-ahead and one read more.
    expect(journal.appends[1]!.text.length).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024 + 200);
    expect(journal.appends[1]!.text.length).toBeGreaterThan(512 * 1024);
  }, 30_000);

  it('tries again only the sources the journal refused: each line journaled once', async () => {
    const taken: string[] = [];
    let refusals = 0;
    const journal = {
      append(source: string, _protocol: string, lines: JournalLines): Promise<void> {
        if (source === 'app-b' && refusals++ === 0) return Promise.reject(new BacklogFullError(2, 1));
        taken.push(...lines.data.toString('utf8').split('\n').filter(Boolean).map((l) => `${source} ${l}`));
        return Promise.resolve();
      },
    };
    listeners = await startSyslog({
      journal: journal as unknown as LiveJournal, logger: pino({ level: 'silent' }), registry: new Registry(), host: '127.0.0.1',
      udpPort: undefined, tcpPort: 0, allowed: parseAddressList('127.0.0.0/8'), maxMessageBytes: 65_536,
    });
    const client = net.connect(listeners.tcpPort!, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    client.end('<134>Dec  7 10:00:00 web app-a: one\n<134>Dec  7 10:00:00 web app-b: two\n<134>Dec  7 10:00:00 web app-a: three\n');
    await until(() => taken.length >= 3);
    await new Promise((r) => setTimeout(r, 300));
    expect(refusals).toBe(2);
    expect(taken.sort()).toEqual(['app-a one', 'app-a three', 'app-b two']);
  }, 30_000);
});

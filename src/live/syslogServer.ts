import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AddressList } from '../domain/addressList.js';
import { BacklogFullError, type LiveJournal } from './journal.js';
import { journalLines, type JournalLines } from './journalLines.js';
import type { LiveProtocol } from './segments.js';
import { SyslogStreamFramer } from './syslogFraming.js';
import { readSyslogHeader } from './syslogMessage.js';

export interface SyslogOptions {
  journal: LiveJournal;
  logger: Logger;
  registry: Registry;
  host: string;
  /** undefined: that listener is off; 0: any free port. */
  udpPort: number | undefined;
  tcpPort: number | undefined;
  allowed: AddressList;
  /** Longest message kept (the rest is cut; the parse rejects the line as too long). */
  maxMessageBytes: number;
}

export interface SyslogListeners {
  /** The ports bound (a port of 0 resolved), undefined for a listener that is off. */
  udpPort: number | undefined;
  tcpPort: number | undefined;
  close(): Promise<void>;
}

/** Source names as uploads take them: 1–200 characters, no control characters. */
const MAX_SOURCE = 200;
const RETRY_MS = 1_000;
const UDP_RECEIVE_BUFFER = 8 * 1024 * 1024;
/** Bytes of messages a TCP connection reads ahead of its journal writes, and all connections together. */
const TCP_READ_AHEAD = 1024 * 1024;
const TCP_READ_AHEAD_ALL = 16 * 1024 * 1024;

/**
 * Receives syslog over UDP (one message per datagram, RFC 5426) and TCP (RFC 6587 framing), and
 * appends each message's lines to the journal under its source: the TAG or APP-NAME, else the
 * HOSTNAME, else `syslog`. Senders outside `allowed` are refused and counted. When the database is
 * behind (the journal's backlog is full) a TCP connection stops being read until it catches up (the
 * sender's own buffer and TCP flow control hold the rest), and UDP datagrams are dropped and counted:
 * UDP has no way to push back. Drops in the kernel's receive buffer are read from /proc (Linux).
 */
export async function startSyslog(o: SyslogOptions): Promise<SyslogListeners> {
  const metrics = syslogMetrics(o.registry);
  let closing = false;
  /** Appends under way (a TCP connection's drain, a turn's datagrams): close() waits for them, so what was read is journaled. */
  const appending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>): void => {
    appending.add(p);
    void p.finally(() => appending.delete(p));
  };
  /** Messages by source (its TAG, APP-NAME or host), each source's MSGs joined as journal lines; counted as received. */
  const lines = (protocol: LiveProtocol, messages: Buffer[]): Map<string, JournalLines> => {
    const parts = new Map<string, Buffer[]>();
    for (const raw of messages) {
      const m = readSyslogHeader(raw);
      const source = sourceName(m.app ?? m.host ?? 'syslog');
      let list = parts.get(source);
      if (!list) parts.set(source, (list = []));
      // The MSG's bytes as they came: a message over several lines (RFC 5424 allows it) keeps them, and
      // the parse joins continuation lines and decodes the bytes as it does an uploaded file's.
      list.push(raw.subarray(m.messageStart));
    }
    const bySource = new Map<string, JournalLines>();
    let n = 0;
    for (const [source, list] of parts) {
      const joined = journalLines(list);
      bySource.set(source, joined);
      n += joined.lines;
    }
    metrics.received.inc({ protocol }, n);
    return bySource;
  };

  let udp: dgram.Socket | undefined;
  let udpPort: number | undefined;
  let journalDatagrams = (): void => undefined;
  if (o.udpPort !== undefined) {
    udp = dgram.createSocket({ type: net.isIPv6(o.host) ? 'udp6' : 'udp4', recvBufferSize: UDP_RECEIVE_BUFFER });
    // Datagrams are journaled together, once per turn of the event loop: one append per source for
    // all that came since, not a write, a promise and a Map per datagram.
    let datagrams: Buffer[] = [];
    journalDatagrams = (): void => {
      const messages = datagrams;
      datagrams = [];
      if (messages.length === 0) return;
      for (const [source, l] of lines('syslog-udp', messages)) {
        track(o.journal.append(source, 'syslog-udp', l).catch((err: unknown) => {
          metrics.dropped.inc({ protocol: 'syslog-udp', reason: err instanceof BacklogFullError ? 'backlog' : 'journal_error' }, l.lines);
          if (!(err instanceof BacklogFullError)) o.logger.warn({ err }, 'syslog: could not journal UDP messages; dropped');
        }));
      }
    };
    udp.on('message', (msg, rinfo) => {
      if (!o.allowed.has(rinfo.address)) {
        metrics.refused.inc({ protocol: 'syslog-udp' });
        return;
      }
      let end = msg.length;
      while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x00)) end--;
      if (end === 0) return;
      if (datagrams.length === 0) setImmediate(() => journalDatagrams());
      datagrams.push(msg.subarray(0, end));
    });
    udp.on('error', (err) => o.logger.error({ err }, 'syslog UDP socket error'));
    await new Promise<void>((resolve, reject) => {
      udp!.once('error', reject);
      udp!.bind(o.udpPort, o.host, () => {
        udp!.off('error', reject);
        resolve();
      });
    });
    const port = (udpPort = udp.address().port);
    new Gauge({
      name: 'loginsights_syslog_udp_receive_drops', help: "Datagrams the kernel dropped from the syslog socket's full receive buffer (Linux)",
      registers: [o.registry],
      collect() {
        const drops = udpReceiveDrops(port);
        if (drops !== null) this.set(drops);
      },
    });
  }

  let tcp: net.Server | undefined;
  let tcpPort: number | undefined;
  const sockets = new Set<net.Socket>();
  let readAheadAll = 0;
  if (o.tcpPort !== undefined) {
    tcp = net.createServer((socket) => {
      if (!o.allowed.has(socket.remoteAddress ?? '')) {
        metrics.refused.inc({ protocol: 'syslog-tcp' });
        socket.destroy();
        return;
      }
      sockets.add(socket);
      socket.on('error', () => undefined); // a sender that resets: its unread bytes were never acknowledged
      const framer = new SyslogStreamFramer(o.maxMessageBytes);
      // Messages read and not yet journaled. While one append (its write and fsync) is under way, the
      // connection reads on and the next append takes all that came meanwhile, in order: one fsync
      // per 64 KiB read had bounded a connection to what fit between two fsyncs. Past TCP_READ_AHEAD
      // (or TCP_READ_AHEAD_ALL over all connections) it stops being read: flow control pushes back.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let paused = false;
      let draining = false;
      const take = (messages: Buffer[]): void => {
        for (const m of messages) {
          pending.push(m);
          pendingBytes += m.length;
          readAheadAll += m.length;
        }
      };
      const drain = async (): Promise<void> => {
        if (draining) return;
        draining = true;
        try {
          while (pending.length > 0) {
            const messages = pending;
            const bytes = pendingBytes;
            pending = [];
            pendingBytes = 0;
            try {
              await journalUntilDone(lines('syslog-tcp', messages));
            } finally {
              readAheadAll -= bytes;
            }
            // Its own read-ahead gone, a connection reads on even while others hold the whole budget.
            if (paused && !socket.destroyed && pendingBytes < TCP_READ_AHEAD && (readAheadAll < TCP_READ_AHEAD_ALL || pendingBytes === 0)) {
              paused = false;
              socket.resume();
            }
          }
        } finally {
          draining = false;
        }
      };
      socket.on('data', (chunk: Buffer) => {
        take(framer.push(chunk));
        if (pendingBytes >= TCP_READ_AHEAD || readAheadAll >= TCP_READ_AHEAD_ALL) {
          paused = true;
          socket.pause();
        }
        track(drain());
      });
      // A last message without its trailer, when the sender closes after it.
      socket.on('end', () => {
        take(framer.end());
        track(drain());
      });
      // What was read is journaled all the same: drain goes on after the connection closes.
      socket.on('close', () => sockets.delete(socket));
    });
    // Each source's lines until they are journaled; only the sources refused are tried again (a source
    // whose append went through must not be appended twice).
    const journalUntilDone = async (bySource: Map<string, JournalLines>): Promise<void> => {
      let left = [...bySource];
      for (;;) {
        const results = await Promise.allSettled(left.map(([source, l]) => o.journal.append(source, 'syslog-tcp', l)));
        const refused = left.filter((_, k) => results[k]!.status === 'rejected');
        if (refused.length === 0) return;
        const err = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as unknown;
        if (!(err instanceof BacklogFullError)) o.logger.warn({ err }, 'syslog: could not journal TCP messages; retrying');
        else metrics.pausedForBacklog.inc();
        if (closing) {
          // Shutting down: read, and now lost; counted as UDP's drops are.
          const n = refused.reduce((sum, [, l]) => sum + l.lines, 0);
          metrics.dropped.inc({ protocol: 'syslog-tcp', reason: err instanceof BacklogFullError ? 'backlog' : 'journal_error' }, n);
          return;
        }
        left = refused;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    };
    tcp.maxConnections = 1024;
    await new Promise<void>((resolve, reject) => {
      tcp!.once('error', reject);
      tcp!.listen(o.tcpPort, o.host, () => {
        tcp!.off('error', reject);
        resolve();
      });
    });
    tcpPort = (tcp.address() as net.AddressInfo).port;
  }

  o.logger.info({
    udp: udpPort === undefined ? 'off' : `${o.host}:${udpPort}`,
    tcp: tcpPort === undefined ? 'off' : `${o.host}:${tcpPort}`,
    allowed_senders: o.allowed.cidrs.join(', '),
  }, 'syslog listening; senders outside SYSLOG_ALLOWED_CIDRS are refused');
  return {
    udpPort,
    tcpPort,
    async close() {
      closing = true;
      udp?.close();
      journalDatagrams();
      for (const s of sockets) s.destroy();
      if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
      // What was read is journaled before the journal closes (one attempt each, now that closing is set).
      while (appending.size > 0) await Promise.allSettled([...appending]);
    },
  };
}

/** The TAG or host as a source name: control characters out, at most MAX_SOURCE characters. */
function sourceName(name: string): string {
   
  const clean = name.replace(/[\x00-\x1f\x7f]/g, '').slice(0, MAX_SOURCE);
  return clean === '' ? 'syslog' : clean;
}

function syslogMetrics(registry: Registry): {
  received: Counter<'protocol'>; refused: Counter<'protocol'>; dropped: Counter<'protocol' | 'reason'>; pausedForBacklog: Counter;
} {
  const registers = [registry];
  return {
    received: new Counter({ name: 'loginsights_live_lines_received_total', help: 'Lines received by live inputs', labelNames: ['protocol'], registers }),
    refused: new Counter({
      name: 'loginsights_live_senders_refused_total', help: 'Datagrams and connections refused: sender outside SYSLOG_ALLOWED_CIDRS', labelNames: ['protocol'], registers,
    }),
    dropped: new Counter({
      name: 'loginsights_live_lines_dropped_total', help: 'Lines received and dropped (UDP while the database is behind; TCP lines read but not journaled at shutdown)', labelNames: ['protocol', 'reason'], registers,
    }),
    pausedForBacklog: new Counter({ name: 'loginsights_live_tcp_backlog_pauses_total', help: 'Times a TCP sender was held back while the database caught up', registers }),
  };
}

/** The kernel's drop count of the UDP socket bound to `port` (/proc/net/udp and udp6, Linux); null elsewhere. */
export function udpReceiveDrops(port: number): number | null {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let found: number | null = null;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13 || !cols[1]!.endsWith(`:${hex}`)) continue;
      found = (found ?? 0) + Number(cols[cols.length - 1]);
    }
  }
  return found;
}

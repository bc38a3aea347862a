import type { Writable } from 'node:stream';
import { humanBytes } from './progressLine.js';
import { sendBatch, ShipRefusedError } from '../ship/sender.js';
import { Shipper } from '../ship/shipper.js';
import { ShipState, ShipStateError } from '../ship/state.js';

export interface ShipOptions {
  files: readonly string[];
  source: string;
  server: string;
  apiKey?: string | undefined;
  stateDir: string;
  /** Files already there at the first start: from their end instead of their beginning. */
  startAtEnd?: boolean | undefined;
}

export interface ShipOutput {
  stderr: Writable & { isTTY?: boolean };
  /** Aborting stops `ship` (Ctrl-C, SIGTERM) with exit code 0, its offsets saved. */
  signal: AbortSignal;
}

/** How often the patterns are looked at again, and how long to wait when no file has new lines. */
const SCAN_MS = 1_000;
const IDLE_MS = 200;
const STATUS_MS = 1_000;

/** `3 files · 12,345 lines/s · lag 1.2 MiB · 1,000,000 lines sent · last error 12:00:01 503: …` */
export function shipStatusLine(s: { files: number; linesPerSec: number; lagBytes: number; sent: number; lastError?: { at: Date; text: string } | undefined }): string {
  const parts = [
    `${s.files} file${s.files === 1 ? '' : 's'}`,
    `${Math.round(s.linesPerSec).toLocaleString('en-US')} lines/s`,
    `lag ${humanBytes(s.lagBytes)}`,
    `${s.sent.toLocaleString('en-US')} lines sent`,
  ];
  if (s.lastError) parts.push(`last error ${s.lastError.at.toISOString().slice(11, 19)} ${s.lastError.text}`);
  return `ship: ${parts.join(' · ')}`;
}

/**
 * `loginsights ship`: follows files (see src/ship/shipper.ts) and sends their new lines to
 * POST /ingest/stream, one batch at a time, each retried until the server has it; the offsets the
 * server acknowledged are saved in the state directory after each batch, so a restart goes on from
 * there (and the server skips what it already had). On a terminal a status line shows the rate, the
 * bytes not yet sent and the last error; events (a file followed, rotated, let go) are printed as lines.
 */
export async function runShip(opts: ShipOptions, out: ShipOutput): Promise<number> {
  const say = (text: string): void => {
    out.stderr.write(`${out.stderr.isTTY ? '\r\x1b[K' : ''}loginsights ship: ${text}\n`);
  };
  let opened;
  try {
    opened = ShipState.open(opts.stateDir, opts.server, opts.source);
  } catch (err) {
    if (err instanceof ShipStateError) {
      say(err.message);
      return 2;
    }
    throw err;
  }
  const { state } = opened;
  const shipper = new Shipper({ patterns: opts.files, saved: opened.streams, startAtEnd: opts.startAtEnd, onEvent: say });
  let sent = 0;
  const recent: { at: number; lines: number }[] = [];
  let lastError: { at: Date; text: string } | undefined;
  let erring = false;
  const status = (): string => {
    const now = Date.now();
    while (recent.length > 0 && now - recent[0]!.at > 5_000) recent.shift();
    const lines = recent.reduce((n, r) => n + r.lines, 0);
    return shipStatusLine({ ...shipper.progress(), linesPerSec: lines / 5, sent, lastError });
  };
  const ticker = out.stderr.isTTY ? setInterval(() => out.stderr.write(`\r\x1b[K${status()}`), STATUS_MS) : undefined;
  say(`sending ${opts.files.join(' ')} to ${opts.server} as source ${opts.source} (offsets in ${state.path})`);
  let lastScan = 0;
  try {
    while (!out.signal.aborted) {
      if (Date.now() - lastScan >= SCAN_MS) {
        await shipper.scan();
        lastScan = Date.now();
      }
      const batch = await shipper.nextBatch();
      if (!batch) {
        await sleep(IDLE_MS, out.signal);
        continue;
      }
      const acked = await sendBatch(batch, {
        server: opts.server, apiKey: opts.apiKey, source: opts.source, signal: out.signal,
        onRetry: (text, waitMs) => {
          lastError = { at: new Date(), text };
          if (!erring) say(`${text}; retrying in ${(waitMs / 1000).toFixed(1)} s, and until it works`);
          erring = true;
        },
      });
      if (erring) say('sending again');
      erring = false;
      shipper.acknowledged(batch.stream, acked);
      sent += batch.lines;
      recent.push({ at: Date.now(), lines: batch.lines });
      state.save(shipper.state());
    }
    return 0;
  } catch (err) {
    if (out.signal.aborted) return 0;
    if (err instanceof ShipRefusedError) {
      say(`${err.message}; stopping (the unsent lines are sent by the next run)`);
      return 1;
    }
    throw err;
  } finally {
    if (ticker) {
      clearInterval(ticker);
      out.stderr.write(`\r\x1b[K${status()}\n`);
    }
    state.save(shipper.state());
    await shipper.close();
    state.release();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { LiveProtocol } from './segments.js';
import { arrive, DEFAULT_SILENCE_RULE, liveStatus, silenceAfterMs, type Arrivals, type LiveStatus, type SilenceRule } from './silenceRule.js';

export interface SourceActivityOptions {
  logger: Logger;
  /** The clock (ms since the epoch); tests move it instead of waiting. */
  now?: () => number;
  rule?: Partial<SilenceRule>;
  /** Sources tracked at most; past it the one heard from least recently is forgotten. */
  maxSources?: number;
}

/** What this process knows of one (source, protocol) since it started. */
export interface SourceActivitySnapshot {
  source: string;
  protocol: LiveProtocol;
  firstArrivalAt: number;
  /** The last time lines of it were kept (journaled); null while every append was refused. */
  lastReceivedAt: number | null;
  linesReceived: number;
  /** Over the last minute (or since it was first heard from, if that is less). */
  linesPerSec: number;
  /** Lines refused and lost: only UDP, which has no way to ask its sender to retry. */
  linesDropped: number;
  /** Appends refused with a retry-later (HTTP 429/503, a TCP sender held back); their senders send them again. */
  refusals: number;
  lastError: { at: number; message: string } | null;
  status: LiveStatus;
}

/** Protocols whose refused lines are gone: UDP cannot push back (src/live/syslogServer.ts); every other input answers retry-later. */
const LOSES_REFUSED: ReadonlySet<LiveProtocol> = new Set(['syslog-udp']);
const RATE_BUCKET_MS = 5_000;
const RATE_BUCKETS = 12;
const MAX_SOURCES = 10_000;

interface Activity {
  source: string;
  protocol: LiveProtocol;
  arrivals: Arrivals;
  lastReceivedAt: number | null;
  linesReceived: number;
  linesDropped: number;
  refusals: number;
  lastError: { at: number; message: string } | null;
  /** Lines received per RATE_BUCKET_MS, a ring: slot i holds bucket number bucketOf[i]. */
  rateLines: number[];
  rateBucket: number[];
  /** The silence was logged: the next arrival logs the resumption. */
  announcedSilent: boolean;
}

/**
 * Per (source, protocol), what the live inputs delivered to this process's journal: lines kept, lines
 * refused, the last error, the rate over the last minute and the arrivals that the silence rule
 * (src/live/silenceRule.ts) reads. In memory only, and bounded: at most `maxSources` entries, the
 * one heard from least recently forgotten first (a Map keeps insertion order; an arrival re-inserts).
 */
export class SourceActivity {
  private readonly entries = new Map<string, Activity>();
  private readonly now: () => number;
  private readonly rule: SilenceRule;
  private readonly maxSources: number;

  constructor(private readonly opts: SourceActivityOptions) {
    this.now = opts.now ?? Date.now;
    this.rule = { ...DEFAULT_SILENCE_RULE, ...opts.rule };
    this.maxSources = opts.maxSources ?? MAX_SOURCES;
  }

  received(source: string, protocol: LiveProtocol, lines: number): void {
    const now = this.now();
    const a = this.arrival(source, protocol, now);
    a.lastReceivedAt = now;
    a.linesReceived += lines;
    const bucket = Math.floor(now / RATE_BUCKET_MS);
    const slot = bucket % RATE_BUCKETS;
    if (a.rateBucket[slot] !== bucket) {
      a.rateBucket[slot] = bucket;
      a.rateLines[slot] = 0;
    }
    a.rateLines[slot] = (a.rateLines[slot] ?? 0) + lines;
  }

  /** The journal refused the lines (`why`: a sentence for the source's row, without file paths). */
  refused(source: string, protocol: LiveProtocol, lines: number, why: string): void {
    const now = this.now();
    const a = this.arrival(source, protocol, now);
    if (LOSES_REFUSED.has(protocol)) a.linesDropped += lines;
    else a.refusals++;
    a.lastError = { at: now, message: why };
  }

  /** Logs each source that turned silent since the last check, once (its resumption is logged as it arrives). */
  check(): void {
    const now = this.now();
    for (const a of this.entries.values()) {
      if (a.announcedSilent || liveStatus(this.rule, a.arrivals, now) !== 'silent') continue;
      a.announcedSilent = true;
      this.opts.logger.warn({
        source: a.source, protocol: a.protocol, last_arrival: new Date(a.arrivals.lastAt).toISOString(),
        usual_gap_ms: a.arrivals.usualGapMs === null ? null : Math.round(a.arrivals.usualGapMs),
        silent_after_ms: Math.round(silenceAfterMs(this.rule, a.arrivals.usualGapMs)),
      }, `live source ${a.source} (${a.protocol}) went silent: it was sending steadily, and nothing has arrived since ${new Date(a.arrivals.lastAt).toISOString()}`);
    }
  }

  snapshot(): SourceActivitySnapshot[] {
    const now = this.now();
    const current = Math.floor(now / RATE_BUCKET_MS);
    return [...this.entries.values()].map((a) => {
      let lines = 0;
      for (let i = 0; i < RATE_BUCKETS; i++) if ((a.rateBucket[i] ?? -Infinity) > current - RATE_BUCKETS) lines += a.rateLines[i] ?? 0;
      // The buckets cover the current one's elapsed part and the eleven before it, or less for a source heard from since.
      const windowMs = Math.min(now - current * RATE_BUCKET_MS + (RATE_BUCKETS - 1) * RATE_BUCKET_MS, now - a.arrivals.firstAt);
      return {
        source: a.source, protocol: a.protocol, firstArrivalAt: a.arrivals.firstAt, lastReceivedAt: a.lastReceivedAt,
        linesReceived: a.linesReceived, linesPerSec: lines / Math.max(1, windowMs / 1000), linesDropped: a.linesDropped,
        refusals: a.refusals, lastError: a.lastError, status: liveStatus(this.rule, a.arrivals, now),
      };
    });
  }

  private arrival(source: string, protocol: LiveProtocol, now: number): Activity {
    const key = JSON.stringify([source, protocol]);
    let a = this.entries.get(key);
    if (a) this.entries.delete(key);
    else {
      a = {
        source, protocol, arrivals: arrive(this.rule, null, now), lastReceivedAt: null, linesReceived: 0, linesDropped: 0, refusals: 0,
        lastError: null, rateLines: new Array<number>(RATE_BUCKETS).fill(0), rateBucket: new Array<number>(RATE_BUCKETS).fill(-Infinity),
        announcedSilent: false,
      };
      this.entries.set(key, a);
      this.forgetBeyondCap();
      return a;
    }
    this.entries.set(key, a);
    if (a.announcedSilent) {
      a.announcedSilent = false;
      this.opts.logger.info({ source, protocol, silent_ms: now - a.arrivals.lastAt },
        `live source ${source} (${protocol}) is sending again after ${Math.round((now - a.arrivals.lastAt) / 1000)} s of silence`);
    }
    a.arrivals = arrive(this.rule, a.arrivals, now);
    return a;
  }

  private forgetBeyondCap(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxSources) return;
      this.entries.delete(key);
    }
  }
}

/**
 * `loginsights_live_source_silent{source,protocol}`: 1 while a tracked source is silent by the rule,
 * 0 while it is tracked and not; computed at each scrape, so it can never disagree with GET /sources.
 * Alertmanager pages on `loginsights_live_source_silent == 1`. Its series are bounded by maxSources.
 */
export function registerSilenceGauge(registry: Registry, activity: SourceActivity): void {
  new Gauge({
    name: 'loginsights_live_source_silent',
    help: 'Whether a live source that was sending steadily has gone silent (1) or not (0), as GET /sources says',
    labelNames: ['source', 'protocol'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of activity.snapshot()) this.set({ source: s.source, protocol: s.protocol }, s.status === 'silent' ? 1 : 0);
    },
  });
}

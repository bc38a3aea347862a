/**
 * When a live source counts as silent: one rule for GET /sources, the log's warning and the
 * `loginsights_live_source_silent` gauge. Pure: the caller says what it knows of the source's
 * arrivals and what time it is.
 *
 * A source is *steady* once it has arrived `steadyArrivals` times over at least `steadySpanMs` (a
 * one-off burst, or a `curl` by hand, is not a sender anyone expects to keep sending). A steady source
 * is *silent* when nothing has arrived from it for `silenceAfterMs`: the longer of `minSilenceMs` and
 * `gapFactor` times its usual gap, so a shipper that sends a batch every ten minutes is not silent
 * after five. Until then it is *receiving*; a source that is not steady and stopped is *idle*.
 */
export interface SilenceRule {
  /** Silent no sooner than this after the last arrival ... */
  minSilenceMs: number;
  /** ... nor sooner than this many of its usual gaps between arrivals. */
  gapFactor: number;
  /** Steady: it arrived at least this many times ... */
  steadyArrivals: number;
  /** ... the first and the last of them at least this far apart. */
  steadySpanMs: number;
}

export const DEFAULT_SILENCE_RULE: Readonly<SilenceRule> = Object.freeze({
  minSilenceMs: 5 * 60_000, gapFactor: 10, steadyArrivals: 10, steadySpanMs: 60_000,
});

/** A source's arrivals (appends, kept or refused: a sender held back by a full backlog is not silent). */
export interface Arrivals {
  count: number;
  firstAt: number;
  lastAt: number;
  /** The usual gap between arrivals, ms; null before the second. */
  usualGapMs: number | null;
}

export type LiveStatus = 'receiving' | 'silent' | 'idle';

export function silenceAfterMs(rule: SilenceRule, usualGapMs: number | null): number {
  return Math.max(rule.minSilenceMs, rule.gapFactor * (usualGapMs ?? 0));
}

export function isSteady(rule: SilenceRule, a: Arrivals): boolean {
  return a.count >= rule.steadyArrivals && a.lastAt - a.firstAt >= rule.steadySpanMs;
}

export function liveStatus(rule: SilenceRule, a: Arrivals, now: number): LiveStatus {
  if (now - a.lastAt <= silenceAfterMs(rule, a.usualGapMs)) return 'receiving';
  return isSteady(rule, a) ? 'silent' : 'idle';
}

/**
 * The arrivals after one more at `now`. The usual gap is a running mean that gives each new gap a
 * weight of 1/8 (as TCP smooths its round-trip time): it follows a sender that slows down without
 * one odd gap moving it much. A gap that was itself a silence is left out: a source back after an
 * outage has not changed its rhythm, and counting the outage in would hide the next one.
 */
export function arrive(rule: SilenceRule, a: Arrivals | null, now: number): Arrivals {
  if (a === null) return { count: 1, firstAt: now, lastAt: now, usualGapMs: null };
  const gap = Math.max(0, now - a.lastAt);
  const usualGapMs = gap > silenceAfterMs(rule, a.usualGapMs) ? a.usualGapMs
    : a.usualGapMs === null ? gap : a.usualGapMs + (gap - a.usualGapMs) / 8;
  return { count: a.count + 1, firstAt: a.firstAt, lastAt: Math.max(a.lastAt, now), usualGapMs };
}

import { FormatError } from './formatError.js';

/**
 * The time zone of timestamps that carry none (error logs, `[29/Aug/2023 22:02:58]`, an ISO time
 * without offset): the upload's `tz`. A timestamp with its own offset never comes here.
 *
 * A wall-clock time that does not exist (the spring-forward gap, 02:30 on 2026-03-29 in Berlin) is
 * read with the offset in force before the gap, so it lands as far after the gap's start as it is
 * written (02:30 → 03:30 CEST, 01:30 UTC), as java.time, Temporal ('compatible') and Luxon do. A
 * wall-clock time that occurs twice (the fall-back overlap, 02:30 on 2026-10-25 in Berlin) is the
 * first occurrence (02:30 CEST, 00:30 UTC): a log written in order shows the first pass through the
 * hour first, and the file's own order cannot be used to tell them apart line by line.
 */
export interface Zone {
  /** As stored on the job: the canonical IANA name (`Europe/Berlin`, `UTC`) or `±HH:MM`. */
  readonly name: string;
  /** Epoch ms of a wall-clock time in this zone, given as the epoch ms that time would have in UTC. NaN stays NaN. */
  toUtc(wallMs: number): number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Hours kept per cache (about 11 years of hours); a file spanning more starts the cache over. */
const MAX_CACHED_HOURS = 100_000;

export const UTC: Zone = { name: 'UTC', toUtc: (wallMs) => wallMs };

class FixedOffsetZone implements Zone {
  constructor(
    readonly name: string,
    private readonly offsetMs: number,
  ) {}

  toUtc(wallMs: number): number {
    return wallMs - this.offsetMs;
  }
}

/** The zone's offset at an instant, from Intl, to the second (the oldest tzdb offsets, LMT, have seconds). */
function intlOffset(fmt: Intl.DateTimeFormat, utcMs: number): number {
  const t = Math.floor(utcMs / 1000) * 1000;
  let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  for (const part of fmt.formatToParts(t)) {
    const v = Number(part.value);
    switch (part.type) {
      case 'year': y = v; break;
      case 'month': mo = v; break;
      case 'day': d = v; break;
      case 'hour': h = v; break;
      case 'minute': mi = v; break;
      case 'second': s = v; break;
      default: break;
    }
  }
  const wall = new Date(0);
  wall.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which reads years 0–99 as 1900–1999
  wall.setUTCHours(h, mi, s, 0);
  return wall.getTime() - t;
}

/** The offsets of one UTC hour: `before` up to `switchAt`, `after` from it (at most one transition per hour). */
interface HourOffsets {
  before: number;
  after: number;
  switchAt: number;
}

/**
 * An IANA zone. Intl.DateTimeFormat costs microseconds per call, far too much per line of a large
 * access log, so offsets are cached by UTC hour (with the exact second of a transition inside one),
 * and the conversion of a wall-clock time by wall-clock hour: a log written in order hits the last
 * wall hour's entry on nearly every line, and Intl is asked only a few times per hour of log.
 */
class IanaZone implements Zone {
  private readonly hours = new Map<number, HourOffsets>();
  /** Wall hour → its offset, or NaN for an hour with a transition in it (each time resolved on its own). */
  private readonly wallHours = new Map<number, number>();
  private lastWallHour = NaN;
  private lastWallOffset = 0;

  constructor(
    readonly name: string,
    private readonly fmt: Intl.DateTimeFormat,
  ) {}

  toUtc(wallMs: number): number {
    const hour = Math.floor(wallMs / HOUR_MS);
    if (hour === this.lastWallHour) return wallMs - this.lastWallOffset;
    if (Number.isNaN(wallMs)) return NaN;
    let offset = this.wallHours.get(hour);
    if (offset === undefined) {
      if (this.wallHours.size >= MAX_CACHED_HOURS) this.wallHours.clear();
      const start = hour * HOUR_MS;
      const first = start - this.resolve(start);
      const last = start + HOUR_MS - 1 - this.resolve(start + HOUR_MS - 1);
      offset = first === last ? first : NaN;
      this.wallHours.set(hour, offset);
    }
    if (Number.isNaN(offset)) return this.resolve(wallMs);
    this.lastWallHour = hour;
    this.lastWallOffset = offset;
    return wallMs - offset;
  }

  /**
   * The instant of a wall-clock time. The offsets a day before and a day after are the candidates
   * (zones change offset at most once in two days); a candidate is right when the zone has that offset
   * at the instant it gives. Both right: the overlap, take the earlier instant. Neither: the gap, take
   * the offset before it (see Zone).
   */
  private resolve(wallMs: number): number {
    const early = this.offsetAt(wallMs - DAY_MS);
    const late = this.offsetAt(wallMs + DAY_MS);
    const u1 = wallMs - early;
    const u2 = wallMs - late;
    const ok1 = this.offsetAt(u1) === early;
    const ok2 = this.offsetAt(u2) === late;
    if (ok1 && ok2) return Math.min(u1, u2);
    if (ok1) return u1;
    if (ok2) return u2;
    return u1;
  }

  private offsetAt(utcMs: number): number {
    const hour = Math.floor(utcMs / HOUR_MS);
    let e = this.hours.get(hour);
    if (e === undefined) {
      if (this.hours.size >= MAX_CACHED_HOURS) this.hours.clear();
      e = this.hourOffsets(hour);
      this.hours.set(hour, e);
    }
    return utcMs < e.switchAt ? e.before : e.after;
  }

  /** Transitions fall on whole seconds: the last second of the hour tells whether one is inside it, a binary search where. */
  private hourOffsets(hour: number): HourOffsets {
    let lo = hour * HOUR_MS;
    let hi = lo + HOUR_MS - 1000;
    const before = intlOffset(this.fmt, lo);
    const after = intlOffset(this.fmt, hi);
    if (before === after) return { before, after, switchAt: Infinity };
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (intlOffset(this.fmt, mid) === before) lo = mid;
      else hi = mid;
    }
    return { before, after, switchAt: hi };
  }
}

/** `Z`, `±HH`, `±HHMM`, `±HH:MM` (hours up to 23, as timestamps.ts reads a zone in a line). */
const OFFSET = /^([+-])(\d{2})(?::?(\d{2}))?$/;

function fixedOffset(spec: string): Zone | null {
  if (spec === 'Z' || spec === 'z') return UTC;
  const m = OFFSET.exec(spec);
  if (m === null) return null;
  const hh = Number(m[2]);
  const mm = Number(m[3] ?? '0');
  if (hh > 23 || mm > 59) return null;
  const name = `${m[1]}${m[2]}:${String(mm).padStart(2, '0')}`;
  return new FixedOffsetZone(name, (m[1] === '-' ? -1 : 1) * (hh * 60 + mm) * MINUTE_MS);
}

/**
 * The zone a `tz` option names: an IANA name (any case; aliases such as `US/Eastern` resolve to their
 * canonical zone) or a fixed offset; empty or absent means UTC. Throws FormatError otherwise.
 */
export function zoneFromSpec(spec: string | undefined): Zone {
  const s = (spec ?? '').trim();
  if (s === '') return UTC;
  const fixed = fixedOffset(s);
  if (fixed !== null) return fixed;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: s, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    const shown = s.length > 64 ? `${s.substring(0, 64)}…` : s;
    throw new FormatError(`unknown time zone '${shown}': give an IANA name such as Europe/Berlin or America/New_York, or an offset such as +05:30`);
  }
  const name = fmt.resolvedOptions().timeZone;
  return name === 'UTC' ? UTC : new IanaZone(name, fmt);
}

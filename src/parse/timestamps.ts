/**
 * Timestamp scanners over a [start, end) range of a line, returning epoch milliseconds or NaN.
 * No Date.parse and no substring per line: digits are read with charCodeAt and the calendar date is
 * turned into days with integer arithmetic, which is cheaper than caching it.
 * A timestamp without a zone is in `zone` (the upload's `tz`, UTC by default; see zone.ts).
 */
import { UTC, type Zone } from './zone.js';

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** A digit's value, or a large negative number that poisons any sum it enters. */
function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1e9;
}

function num2(s: string, i: number): number {
  return digit(s, i) * 10 + digit(s, i + 1);
}

function num4(s: string, i: number): number {
  return digit(s, i) * 1000 + digit(s, i + 1) * 100 + digit(s, i + 2) * 10 + digit(s, i + 3);
}

/** 1..12 for an English month abbreviation at i (any case), else 0. A switch on the letters: no lookup table per line. */
export function monthAt(s: string, i: number): number {
  const a = s.charCodeAt(i) | 0x20;
  const b = s.charCodeAt(i + 1) | 0x20;
  const c = s.charCodeAt(i + 2) | 0x20;
  switch (a) {
    case 106: // j
      if (b === 97 && c === 110) return 1; // jan
      if (b === 117) return c === 110 ? 6 : c === 108 ? 7 : 0; // jun jul
      return 0;
    case 102: // f
      return b === 101 && c === 98 ? 2 : 0; // feb
    case 109: // m
      return b === 97 ? (c === 114 ? 3 : c === 121 ? 5 : 0) : 0; // mar may
    case 97: // a
      if (b === 112 && c === 114) return 4; // apr
      return b === 117 && c === 103 ? 8 : 0; // aug
    case 115: // s
      return b === 101 && c === 112 ? 9 : 0; // sep
    case 111: // o
      return b === 99 && c === 116 ? 10 : 0; // oct
    case 110: // n
      return b === 111 && c === 118 ? 11 : 0; // nov
    case 100: // d
      return b === 101 && c === 99 ? 12 : 0; // dec
    default:
      return 0;
  }
}

/** Epoch ms of a UTC wall-clock time, or NaN when a component is out of range. */
export function utcMillis(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  if (!(y >= 1000 && mo >= 1 && mo <= 12 && d >= 1 && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60)) return NaN;
  if (d > daysInMonth(y, mo)) return NaN;
  return daysFromCivil(y, mo, d) * MS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000;
}

/** A zone at [p, end): `Z`, `±HH`, `±HHMM` or `±HH:MM`, in minutes east of UTC; NaN otherwise. */
function zoneMinutes(s: string, p: number, end: number): number {
  const len = end - p;
  const c = s.charCodeAt(p);
  if (len === 1 && (c === 90 || c === 122)) return 0; // Z
  if (c !== 43 && c !== 45) return NaN; // + -
  const sign = c === 45 ? -1 : 1;
  const hh = num2(s, p + 1);
  let mm: number;
  if (len === 3) mm = 0;
  else if (len === 5) mm = num2(s, p + 3);
  else if (len === 6 && s.charCodeAt(p + 3) === 58) mm = num2(s, p + 4);
  else return NaN;
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59) return NaN;
  return sign * (hh * 60 + mm);
}

/** Fractional seconds `.ddd…` starting at p (the dot): [milliseconds, end position]. */
function fraction(s: string, p: number, end: number, out: { ms: number }): number {
  let q = p + 1;
  let v = 0;
  let scale = 1;
  while (q < end && scale < 1e9) {
    const d = s.charCodeAt(q) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    scale *= 10;
    q++;
  }
  out.ms = q === p + 1 ? NaN : (v * 1000) / scale;
  return q;
}
const frac = { ms: 0 };

/** Optional zone after a time: nothing (then `zone`), or spaces then a zone, or a zone right away (ISO). */
function withZone(ms: number, s: string, p: number, end: number, zone: Zone): number {
  while (p < end && s.charCodeAt(p) === 32) p++;
  if (p === end) return zone.toUtc(ms);
  const z = zoneMinutes(s, p, end);
  return ms - z * 60_000;
}

/** nginx $time_local / Apache %t: `10/Oct/2000:13:55:36 -0700`; also `29/Aug/2023 22:02:58` (Python http.server, no zone). */
export function parseTimeLocal(s: string, start: number, end: number, zone: Zone = UTC): number {
  if (end - start < 20 || s.charCodeAt(start + 2) !== 47 || s.charCodeAt(start + 6) !== 47) return NaN;
  const sep = s.charCodeAt(start + 11);
  if ((sep !== 58 && sep !== 32) || s.charCodeAt(start + 14) !== 58 || s.charCodeAt(start + 17) !== 58) return NaN;
  const ms = utcMillis(
    num4(s, start + 7),
    monthAt(s, start + 3),
    num2(s, start),
    num2(s, start + 12),
    num2(s, start + 15),
    num2(s, start + 18),
  );
  return withZone(ms, s, start + 20, end, zone);
}

/** ISO 8601 as nginx $time_iso8601 writes it (`2000-10-10T13:55:36-07:00`), with optional fraction and zone. */
export function parseIso8601(s: string, start: number, end: number, zone: Zone = UTC): number {
  if (end - start < 19 || s.charCodeAt(start + 4) !== 45 || s.charCodeAt(start + 7) !== 45) return NaN;
  const t = s.charCodeAt(start + 10);
  if ((t !== 84 && t !== 116 && t !== 32) || s.charCodeAt(start + 13) !== 58 || s.charCodeAt(start + 16) !== 58) return NaN;
  let ms = utcMillis(num4(s, start), num2(s, start + 5), num2(s, start + 8), num2(s, start + 11), num2(s, start + 14), num2(s, start + 17));
  let p = start + 19;
  const c = s.charCodeAt(p);
  if (p < end && (c === 46 || c === 44)) {
    p = fraction(s, p, end, frac);
    ms += frac.ms;
  }
  return withZone(ms, s, p, end, zone);
}

/** nginx error log and ISO-like slashes: `2026/10/10 13:55:36` (local time of the server: no zone, so in `zone`). */
export function parseSlashDateTime(s: string, start: number, zone: Zone = UTC): number {
  if (s.charCodeAt(start + 4) !== 47 || s.charCodeAt(start + 7) !== 47 || s.charCodeAt(start + 10) !== 32) return NaN;
  if (s.charCodeAt(start + 13) !== 58 || s.charCodeAt(start + 16) !== 58) return NaN;
  return zone.toUtc(utcMillis(num4(s, start), num2(s, start + 5), num2(s, start + 8), num2(s, start + 11), num2(s, start + 14), num2(s, start + 17)));
}

/** Apache error log (apr_ctime): `Wed Oct 11 14:32:52 2000`, 2.4 adds microseconds `14:32:52.123456`; no zone, so in `zone`. */
export function parseCtime(s: string, start: number, end: number, zone: Zone = UTC): number {
  if (end - start < 24 || s.charCodeAt(start + 3) !== 32 || s.charCodeAt(start + 7) !== 32) return NaN;
  const d1 = s.charCodeAt(start + 8);
  const day = (d1 === 32 ? 0 : digit(s, start + 8) * 10) + digit(s, start + 9);
  const t = start + 11;
  if (s.charCodeAt(start + 10) !== 32 || s.charCodeAt(t + 2) !== 58 || s.charCodeAt(t + 5) !== 58) return NaN;
  let p = t + 8;
  let extra = 0;
  if (s.charCodeAt(p) === 46) {
    p = fraction(s, p, end, frac);
    extra = frac.ms;
  }
  if (end - p !== 5 || s.charCodeAt(p) !== 32) return NaN;
  const ms = utcMillis(num4(s, p + 1), monthAt(s, start + 4), day, num2(s, t), num2(s, t + 3), num2(s, t + 6));
  return zone.toUtc(ms + extra);
}

/** `1286536308.123` ($msec, seconds with millisecond resolution) or whole seconds. */
export function parseEpochSeconds(s: string, start: number, end: number): number {
  let p = start;
  let v = 0;
  while (p < end) {
    const d = s.charCodeAt(p) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    p++;
  }
  if (p === start || p - start > 12) return NaN;
  let ms = v * 1000;
  if (p < end && s.charCodeAt(p) === 46) {
    p = fraction(s, p, end, frac);
    ms += frac.ms;
  }
  return p === end ? ms : NaN;
}

/** Whole digits scaled to ms: for Apache %{msec}t (unitMs 1) and %{usec}t (unitMs 0.001). */
export function parseEpochInteger(s: string, start: number, end: number, unitMs: number): number {
  if (end <= start || end - start > 19) return NaN;
  let v = 0;
  for (let p = start; p < end; p++) {
    const d = s.charCodeAt(p) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return v * unitMs;
}

/** Any of the shapes above, for formats whose time layout is configurable (Apache %{…}t, error logs). */
export function parseAnyTimestamp(s: string, start: number, end: number, zone: Zone = UTC): number {
  const c2 = s.charCodeAt(start + 2);
  const c4 = s.charCodeAt(start + 4);
  if (c2 === 47) return parseTimeLocal(s, start, end, zone);
  if (c4 === 45) return parseIso8601(s, start, end, zone);
  if (c4 === 47) return end - start === 19 ? parseSlashDateTime(s, start, zone) : NaN;
  if (s.charCodeAt(start + 3) === 32) return parseCtime(s, start, end, zone);
  return parseEpochSeconds(s, start, end);
}

import { describe, expect, it } from 'vitest';
import { FormatError } from './formatError.js';
import { UTC, zoneFromSpec, type Zone } from './zone.js';

/** A wall-clock time written as ISO without zone, as the epoch ms it would have in UTC (what the scanners hand over). */
const wall = (iso: string): number => Date.parse(`${iso}Z`);
const at = (zone: Zone, iso: string): string => new Date(zone.toUtc(wall(iso))).toISOString();

/** The wall-clock time Intl shows for an instant in a zone, as `YYYY-MM-DDTHH:MM:SS` (the reference the cache must agree with). */
const formats = new Map<string, Intl.DateTimeFormat>();
function intlWall(name: string, ms: number): string {
  let fmt = formats.get(name);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone: name, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formats.set(name, fmt);
  }
  const parts = fmt.formatToParts(ms);
  const p = (t: string) => parts.find((x) => x.type === t)!.value;
  return `${p('year')}-${p('month')}-${p('day')}T${p('hour')}:${p('minute')}:${p('second')}`;
}

describe('zoneFromSpec', () => {
  it('is UTC when absent or empty, and for the names of UTC', () => {
    for (const spec of [undefined, '', '  ', 'UTC', 'utc', 'Etc/UTC', 'GMT', 'Z']) expect(zoneFromSpec(spec), String(spec)).toBe(UTC);
    expect(at(UTC, '2026-07-01T12:00:00')).toBe('2026-07-01T12:00:00.000Z');
  });

  it('takes IANA names in any case and names the zone canonically', () => {
    expect(zoneFromSpec('europe/berlin').name).toBe('Europe/Berlin');
    expect(zoneFromSpec(' America/New_York ').name).toBe('America/New_York');
    expect(zoneFromSpec('US/Eastern').name).toBe('America/New_York');
  });

  it('takes fixed offsets ±HH, ±HHMM and ±HH:MM, named ±HH:MM', () => {
    const cases: [string, string, string][] = [
      ['+05:30', '+05:30', '2026-01-01T06:30:00.000Z'],
      ['-0700', '-07:00', '2026-01-01T19:00:00.000Z'],
      ['+05', '+05:00', '2026-01-01T07:00:00.000Z'],
      ['-00:30', '-00:30', '2026-01-01T12:30:00.000Z'],
    ];
    for (const [spec, name, instant] of cases) {
      const z = zoneFromSpec(spec);
      expect(z.name, spec).toBe(name);
      expect(at(z, '2026-01-01T12:00:00'), spec).toBe(instant);
    }
  });

  it('refuses what is neither, with a reason that names the value', () => {
    for (const bad of ['Nope/Zone', 'Europe/Berlinn', '+5:30', '05:30', '+24:00', '+05:60', 'CEST+2', 'Europe/Berlin; DROP']) {
      expect(() => zoneFromSpec(bad), bad).toThrow(FormatError);
      expect(() => zoneFromSpec(bad), bad).toThrow(`unknown time zone '${bad}'`);
    }
  });
});

describe('Zone.toUtc', () => {
  it('Europe/Berlin: CET in winter, CEST in summer', () => {
    const z = zoneFromSpec('Europe/Berlin');
    expect(at(z, '2026-01-15T12:00:00')).toBe('2026-01-15T11:00:00.000Z');
    expect(at(z, '2026-07-15T12:00:00')).toBe('2026-07-15T10:00:00.000Z');
  });

  it('Europe/Berlin, 2026-03-29: a wall time in the spring-forward gap takes the offset before it', () => {
    const z = zoneFromSpec('Europe/Berlin');
    expect(at(z, '2026-03-29T01:59:59')).toBe('2026-03-29T00:59:59.000Z');
    expect(at(z, '2026-03-29T02:00:00')).toBe('2026-03-29T01:00:00.000Z'); // does not exist: read as CET
    expect(at(z, '2026-03-29T02:30:00')).toBe('2026-03-29T01:30:00.000Z'); // = 03:30 CEST
    expect(at(z, '2026-03-29T03:00:00')).toBe('2026-03-29T01:00:00.000Z');
    expect(at(z, '2026-03-29T03:30:00')).toBe('2026-03-29T01:30:00.000Z');
  });

  it('Europe/Berlin, 2026-10-25: a wall time in the fall-back overlap is its first occurrence', () => {
    const z = zoneFromSpec('Europe/Berlin');
    expect(at(z, '2026-10-25T01:59:59')).toBe('2026-10-24T23:59:59.000Z');
    expect(at(z, '2026-10-25T02:00:00')).toBe('2026-10-25T00:00:00.000Z'); // CEST, not 01:00Z (CET)
    expect(at(z, '2026-10-25T02:59:59.500')).toBe('2026-10-25T00:59:59.500Z');
    expect(at(z, '2026-10-25T03:00:00')).toBe('2026-10-25T02:00:00.000Z');
  });

  it('America/New_York on ordinary days and both 2026 change days', () => {
    const z = zoneFromSpec('America/New_York');
    expect(at(z, '2026-01-15T12:00:00')).toBe('2026-01-15T17:00:00.000Z');
    expect(at(z, '2026-07-04T12:00:00')).toBe('2026-07-04T16:00:00.000Z');
    expect(at(z, '2026-03-08T02:30:00')).toBe('2026-03-08T07:30:00.000Z'); // gap: EST
    expect(at(z, '2026-03-08T03:00:00')).toBe('2026-03-08T07:00:00.000Z');
    expect(at(z, '2026-11-01T01:30:00')).toBe('2026-11-01T05:30:00.000Z'); // overlap: EDT first
    expect(at(z, '2026-11-01T02:00:00')).toBe('2026-11-01T07:00:00.000Z');
  });

  it('Asia/Kolkata is +05:30 all year', () => {
    const z = zoneFromSpec('Asia/Kolkata');
    expect(at(z, '2026-01-01T00:00:00')).toBe('2025-12-31T18:30:00.000Z');
    expect(at(z, '2026-07-01T12:15:00')).toBe('2026-07-01T06:45:00.000Z');
  });

  it('Australia/Lord_Howe: a 30-minute DST (+10:30 / +11) with its half-hour gap and overlap', () => {
    const z = zoneFromSpec('Australia/Lord_Howe');
    expect(at(z, '2026-07-01T12:00:00')).toBe('2026-07-01T01:30:00.000Z'); // +10:30
    expect(at(z, '2026-01-01T12:00:00')).toBe('2026-01-01T01:00:00.000Z'); // +11
    // 2026-04-05 02:00 (+11) → 01:30 (+10:30): 01:30–02:00 happens twice.
    expect(at(z, '2026-04-05T01:45:00')).toBe('2026-04-04T14:45:00.000Z');
    expect(at(z, '2026-04-05T02:00:00')).toBe('2026-04-04T15:30:00.000Z');
    // 2026-10-04 02:00 (+10:30) → 02:30 (+11): 02:00–02:30 does not exist.
    expect(at(z, '2026-10-04T01:59:00')).toBe('2026-10-03T15:29:00.000Z');
    expect(at(z, '2026-10-04T02:15:00')).toBe('2026-10-03T15:45:00.000Z');
    expect(at(z, '2026-10-04T02:30:00')).toBe('2026-10-03T15:30:00.000Z');
  });

  it('keeps offsets with seconds (Berlin local mean time before 1893: +00:53:28)', () => {
    expect(at(zoneFromSpec('Europe/Berlin'), '1890-06-01T12:00:00')).toBe('1890-06-01T11:06:32.000Z');
  });

  it('leaves NaN as NaN', () => {
    expect(zoneFromSpec('Europe/Berlin').toUtc(NaN)).toBeNaN();
    expect(zoneFromSpec('+01:00').toUtc(NaN)).toBeNaN();
  });

  it('agrees with Intl every 10 minutes around transitions, in order and shuffled (the caches do not depend on order)', () => {
    const spans: [string, string][] = [
      ['Europe/Berlin', '2026-03-28T12:00:00'], ['Europe/Berlin', '2026-10-24T12:00:00'],
      ['America/St_Johns', '2026-03-07T12:00:00'], ['America/St_Johns', '2026-10-31T12:00:00'], // -03:30, changes at 02:00 local
      ['Australia/Lord_Howe', '2026-04-04T12:00:00'], ['Australia/Lord_Howe', '2026-10-03T12:00:00'],
    ];
    for (const [name, from] of spans) {
      const walls = Array.from({ length: 6 * 36 }, (_, i) => wall(from) + i * 600_000);
      const inOrder = zoneFromSpec(name);
      const expected = walls.map((w) => inOrder.toUtc(w));
      const shuffled = zoneFromSpec(name);
      const order = walls.map((_, i) => i).sort((a, b) => ((a * 7919) % walls.length) - ((b * 7919) % walls.length));
      for (const i of order) expect(shuffled.toUtc(walls[i]!), `${name} ${new Date(walls[i]!).toISOString()}`).toBe(expected[i]);
      for (const [i, w] of walls.entries()) {
        const shown = intlWall(name, expected[i]!);
        const iso = new Date(w).toISOString().slice(0, 19);
        if (shown === iso) {
          // An existing wall time: no earlier instant (up to the largest DST shift back) shows it too.
          for (const back of [1_800_000, 3_600_000]) expect(intlWall(name, expected[i]! - back), `${name} ${iso} first occurrence`).not.toBe(iso);
        } else {
          // In a gap: read with the offset before it, so it shows as late as the gap is long (30 or 60 minutes).
          const later = Date.parse(`${shown}Z`) - w;
          expect([1_800_000, 3_600_000], `${name} ${iso} → ${shown}`).toContain(later);
          // …and it really does not exist: the instant the later offset would give shows another time.
          expect(intlWall(name, expected[i]! - later), `${name} ${iso} is in a gap`).not.toBe(iso);
        }
      }
    }
  });
});

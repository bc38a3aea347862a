import { describe, expect, it } from 'vitest';
import { byteProgressLine, formatEta, humanBytes, parseProgressLine, parseSummary, quarter } from './progressLine.js';

describe('progress lines', () => {
  it('bytes in human units', () => {
    expect(humanBytes(512)).toBe('512 B');
    expect(humanBytes(1536)).toBe('1.5 KiB');
    expect(humanBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });

  it('no rate and "ETA –" in the first second, never NaN or Infinity', () => {
    const line = byteProgressLine({ label: 'upload a.log', done: 0, total: 2048, elapsedSecs: 0 });
    expect(line).toBe('upload a.log 0% 0 B/2.0 KiB – B/s ETA –');
    expect(byteProgressLine({ label: 'upload a.log', done: 1024, total: 2048, elapsedSecs: 0.001 })).toContain('– B/s ETA –');
  });

  it('bytes/s and ETA once a rate is known, the bar only when given a width', () => {
    expect(byteProgressLine({ label: 'upload a.log', done: 1024 * 1024, total: 3 * 1024 * 1024, elapsedSecs: 2 }, { barWidth: 10 }))
      .toBe('upload a.log [===       ] 33% 1.0 MiB/3.0 MiB 512.0 KiB/s ETA 4s');
    expect(formatEta(185, 1)).toBe('3m 05s');
    expect(formatEta(7620, 1)).toBe('2h 07m');
    expect(formatEta(0, undefined)).toBe('0s');
  });

  it("lines/s from the job's counters since first seen, not a duplicate's instant", () => {
    const p = { label: 'parse a.log', bytesProcessed: 400, bytesTotal: 1000, linesProcessed: 4000, linesSinceFirstSeen: 3000, bytesSinceFirstSeen: 300, secsSinceFirstSeen: 3 };
    expect(parseProgressLine(p)).toBe('parse a.log 40% 4000 lines 1000 lines/s ETA 6s');
    expect(parseProgressLine({ ...p, secsSinceFirstSeen: 0.0003 })).toBe('parse a.log 40% 4000 lines – lines/s ETA –');
  });

  it('off a terminal, a line per quarter', () => {
    expect([0, 249, 250, 999, 1000].map((d) => quarter(d, 1000))).toEqual([0, 0, 1, 3, 4]);
    expect(quarter(0, 0)).toBe(4);
  });

  it("the job's parse time and rate from its own timestamps", () => {
    expect(parseSummary(20000, '2026-10-10T00:00:00.000Z', '2026-10-10T00:00:04.000Z')).toBe('parsed 20000 lines in 4.0s (5000 lines/s)');
    expect(parseSummary(3, '2026-10-10T00:00:00.000Z', '2026-10-10T00:00:00.150Z')).toBe('parsed 3 lines in 0.1s');
    expect(parseSummary(3, null, null)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { splitRange, type RangePiece } from './timeRange.js';

const t = (iso: string): number => Date.parse(iso);
const show = (pieces: RangePiece[]): string[] =>
  pieces.map((p) => `${p.source} ${p.fromMs === null ? '-∞' : new Date(p.fromMs).toISOString()} ${p.toMs === null ? '+∞' : new Date(p.toMs).toISOString()}`);

describe('splitRange', () => {
  it('reads whole days, hours and minutes from rollups and only the edge seconds from raw rows', () => {
    expect(show(splitRange(t('2026-10-01T22:13:05.500Z'), t('2026-10-04T01:02:03Z')))).toEqual([
      'logs 2026-10-01T22:13:05.500Z 2026-10-01T22:14:00.000Z',
      'logs 2026-10-04T01:02:00.000Z 2026-10-04T01:02:03.000Z',
      'rollups_1m 2026-10-01T22:14:00.000Z 2026-10-01T23:00:00.000Z',
      'rollups_1m 2026-10-04T01:00:00.000Z 2026-10-04T01:02:00.000Z',
      'rollups_1h 2026-10-01T23:00:00.000Z 2026-10-02T00:00:00.000Z',
      'rollups_1h 2026-10-04T00:00:00.000Z 2026-10-04T01:00:00.000Z',
      'rollups_1d 2026-10-02T00:00:00.000Z 2026-10-04T00:00:00.000Z',
    ]);
  });

  it('stops at the finest level that has a whole unit inside', () => {
    expect(show(splitRange(t('2026-10-01T10:00:30Z'), t('2026-10-01T10:00:40Z')))).toEqual(['logs 2026-10-01T10:00:30.000Z 2026-10-01T10:00:40.000Z']);
    expect(show(splitRange(t('2026-10-01T10:00:00Z'), t('2026-10-01T10:05:00Z')))).toEqual(['rollups_1m 2026-10-01T10:00:00.000Z 2026-10-01T10:05:00.000Z']);
    expect(show(splitRange(t('2026-10-01T10:00:00Z'), t('2026-10-01T10:00:00Z')))).toEqual([]);
  });

  it('reads nothing coarser than it is asked to', () => {
    expect(show(splitRange(t('2026-10-01T22:13:05Z'), t('2026-10-03T01:00:00Z'), 3_600_000))).toEqual([
      'logs 2026-10-01T22:13:05.000Z 2026-10-01T22:14:00.000Z',
      'rollups_1m 2026-10-01T22:14:00.000Z 2026-10-01T23:00:00.000Z',
      'rollups_1h 2026-10-01T23:00:00.000Z 2026-10-03T01:00:00.000Z',
    ]);
    expect(show(splitRange(null, null, 60_000))).toEqual(['rollups_1m -∞ +∞']);
  });

  it('treats a missing bound as unbounded', () => {
    expect(show(splitRange(null, null))).toEqual(['rollups_1d -∞ +∞']);
    expect(show(splitRange(t('2026-10-01T10:30:00Z'), null))).toEqual([
      'rollups_1m 2026-10-01T10:30:00.000Z 2026-10-01T11:00:00.000Z',
      'rollups_1h 2026-10-01T11:00:00.000Z 2026-10-02T00:00:00.000Z',
      'rollups_1d 2026-10-02T00:00:00.000Z +∞',
    ]);
  });

  it('covers every millisecond of random ranges exactly once', () => {
    let x = 1;
    const rnd = (): number => ((x = (Math.imul(x, 48_271) + 11) >>> 0) / 2 ** 32);
    for (let i = 0; i < 500; i++) {
      const a = t('2026-10-01T00:00:00Z') + Math.floor(rnd() * 5 * 86_400_000);
      const b = a + Math.floor(rnd() * (rnd() < 0.5 ? 120_000 : 3 * 86_400_000));
      const pieces = splitRange(a, b).sort((p, q) => p.fromMs! - q.fromMs!);
      let at = a;
      for (const p of pieces) {
        expect(p.fromMs).toBe(at);
        expect(p.toMs!).toBeGreaterThan(p.fromMs!);
        const unit = { logs: 1, rollups_1m: 60_000, rollups_1h: 3_600_000, rollups_1d: 86_400_000 }[p.source];
        expect(p.fromMs! % unit).toBe(0);
        expect(p.toMs! % unit).toBe(0);
        at = p.toMs!;
      }
      expect(at).toBe(b);
    }
  });
});

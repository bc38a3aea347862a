import { describe, expect, it } from 'vitest';
import {
  choosePartition, dayRange, monthRange, partitionTableName, wantedPartition, type PartitionKind, type PartitionRange,
} from './partitionPlan.js';

const DAY = 86_400_000;
const at = (day: string): number => Date.parse(`${day}T00:00:00Z`);

/** Applies choosePartition to days in order, as the writer does, each decision seeing the partitions created before it. */
function plan(existing: PartitionRange[], days: [string, PartitionKind][]): { tables: Record<string, string>; created: string[] } {
  const known = [...existing];
  const tables: Record<string, string> = {};
  const created: string[] = [];
  for (const [day, wants] of days) {
    const choice = choosePartition(day, wants, known);
    if (choice.create) {
      known.push(choice.range);
      created.push(partitionTableName(choice.range));
    }
    tables[day] = partitionTableName(choice.range);
  }
  return { tables, created };
}

describe('which partition a day wants', () => {
  const anchor = Date.UTC(2000, 3, 10, 8, 30);
  const now = Date.UTC(2026, 11, 6, 12, 0);

  it('a day partition within 62 days of the anchor, its month beyond', () => {
    expect(wantedPartition(at('2000-04-10'), anchor, now)).toBe('day');
    expect(wantedPartition(at('2000-02-08'), anchor, now)).toBe('day'); // 62 days before
    expect(wantedPartition(at('2000-02-07'), anchor, now)).toBe('month');
    expect(wantedPartition(at('2000-06-11'), anchor, now)).toBe('day'); // 62 days after
    expect(wantedPartition(at('2000-06-12'), anchor, now)).toBe('month');
    expect(wantedPartition(at('2013-01-01'), anchor, now)).toBe('month');
  });

  it('a day partition within 62 days of the wall clock too, and with no anchor only there', () => {
    expect(wantedPartition(at('2026-12-06'), anchor, now)).toBe('day');
    expect(wantedPartition(at('2026-10-05'), anchor, now)).toBe('day');
    expect(wantedPartition(at('2026-10-04'), anchor, now)).toBe('month');
    expect(wantedPartition(at('2026-10-04'), null, now)).toBe('month');
    expect(wantedPartition(at('2026-12-01'), null, now)).toBe('day');
  });

  it('data with fixed dates (the bench: 2026-10-01..03, a month from 2026-10-01) keeps day partitions in any year', () => {
    const benchAnchor = Date.UTC(2026, 9, 1, 0, 0, 5);
    for (const later of [now, now + 365 * DAY, now + 3650 * DAY]) {
      for (let d = 0; d < 31; d++) expect(wantedPartition(at('2026-10-01') + d * DAY, benchAnchor, later)).toBe('day');
    }
  });
});

describe('where a day goes, given the partitions that exist', () => {
  it('a covering partition is used whatever the day wants', () => {
    const month = monthRange('2013-05-17');
    expect(choosePartition('2013-05-17', 'day', [month])).toEqual({ range: month, create: false });
    const day = dayRange('2026-10-01');
    expect(choosePartition('2026-10-01', 'month', [day])).toEqual({ range: day, create: false });
  });

  it('days wanting months share one partition per month; days wanting days get one each', () => {
    const { tables, created } = plan([], [
      ['2013-05-01', 'month'], ['2013-05-17', 'month'], ['2013-05-31', 'month'], ['2013-06-01', 'month'],
      ['2026-10-01', 'day'], ['2026-10-02', 'day'],
    ]);
    expect(created).toEqual(['logs_m201305', 'logs_m201306', 'logs_p20261001', 'logs_p20261002']);
    expect(tables['2013-05-31']).toBe('logs_m201305');
  });

  it('a month that holds day partitions gets more day partitions, never a month one (ranges never overlap)', () => {
    const { created } = plan([dayRange('2026-10-01')], [['2026-10-20', 'month'], ['2026-11-02', 'month']]);
    expect(created).toEqual(['logs_p20261020', 'logs_m202611']);
  });

  it('a month with a month partition takes the days that want a day partition', () => {
    // In file order: the month's far days come first and make its month partition.
    const { tables, created } = plan([], [['2000-02-01', 'month'], ['2000-02-08', 'day'], ['2000-03-01', 'day']]);
    expect(created).toEqual(['logs_m200002', 'logs_p20000301']);
    expect(tables['2000-02-08']).toBe('logs_m200002');
  });

  it('one line per day from 2000 to 2025 anchored in April 2000: months, and days near the anchor', () => {
    const anchor = Date.UTC(2000, 3, 10);
    const now = Date.UTC(2026, 11, 6);
    const days: [string, PartitionKind][] = [];
    for (let t = at('2000-01-01'); t < at('2026-01-01'); t += DAY) days.push([new Date(t).toISOString().slice(0, 10), wantedPartition(t, anchor, now)]);
    const { created } = plan([], days);
    const dayTables = created.filter((t) => t.startsWith('logs_p'));
    // March to June 2000 hold day partitions (June's days past the window join June's day partitions).
    expect(dayTables).toHaveLength(31 + 30 + 31 + 30);
    expect(created.length - dayTables.length).toBe(26 * 12 - 4);
    expect(created.length).toBeLessThan(450);
  });

  it('names come from the range: a day or a whole month, nothing else', () => {
    expect(partitionTableName(dayRange('2026-10-10'))).toBe('logs_p20261010');
    expect(partitionTableName(monthRange('2026-02-14'))).toBe('logs_m202602');
    expect(monthRange('2024-12-31')).toEqual({ day: '2024-12-01', endDay: '2025-01-01' });
    expect(() => partitionTableName({ day: '2026-10-02', endDay: '2026-10-05' })).toThrow(/not a day or a month/);
    expect(() => partitionTableName({ day: "2026-10-01'; DROP TABLE logs; --", endDay: '2026-10-02' })).toThrow(/not a partition range/);
  });
});

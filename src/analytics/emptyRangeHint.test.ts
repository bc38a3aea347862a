import { describe, expect, it } from 'vitest';
import { describeEmptyRange } from './emptyRangeHint.js';

const FIRST = '2024-03-09T10:00:00.000Z';
const LAST = '2024-03-10T08:30:00.000Z';
const ms = (iso: string): number => Date.parse(iso);

describe('describeEmptyRange', () => {
  it('tells an empty store how to fill it', () => {
    expect(describeEmptyRange([{ source: null, first: null, last: null }], { startMs: null, endMs: null }))
      .toBe('no data stored yet; upload a log with POST /logs/upload');
  });
  it('says where the data is when the range misses it', () => {
    expect(describeEmptyRange([{ source: null, first: FIRST, last: LAST }], { startMs: ms('2026-10-01T00:00:00Z'), endMs: null }))
      .toBe(`no records in this range; data exists from ${FIRST} to ${LAST}`);
    expect(describeEmptyRange([{ source: null, first: FIRST, last: LAST }], { startMs: null, endMs: ms(FIRST) }))
      .toBe(`no records in this range; data exists from ${FIRST} to ${LAST}`);
  });
  it('blames the other filters when the range holds data', () => {
    expect(describeEmptyRange([{ source: null, first: FIRST, last: LAST }], { startMs: ms(LAST), endMs: null }))
      .toBe(`no records in this range match the other filters; data exists from ${FIRST} to ${LAST}`);
  });
  it('speaks per source when sources were named', () => {
    expect(describeEmptyRange(
      [{ source: 'web', first: FIRST, last: LAST }, { source: 'typo', first: null, last: null }], { startMs: ms('2026-01-01T00:00:00Z'), endMs: null },
    )).toBe(`no records in this range; source 'web' has data from ${FIRST} to ${LAST}; source 'typo' has no records`);
    expect(describeEmptyRange([{ source: 'typo', first: null, last: null }], { startMs: null, endMs: null }))
      .toBe("no records of source 'typo'; GET /analytics/sources lists the sources");
  });
});

import { describe, expect, it } from 'vitest';
import { isoTimestamp } from './batch.js';

describe('isoTimestamp', () => {
  it('keeps microseconds from a fractional millisecond', () => {
    expect(isoTimestamp(Date.UTC(2026, 9, 10, 13, 55, 36, 123))).toBe('2026-10-10T13:55:36.123Z');
    expect(isoTimestamp(Date.UTC(2026, 9, 10, 13, 55, 36, 123) + 0.456)).toBe('2026-10-10T13:55:36.123456Z');
  });
});

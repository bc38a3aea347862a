import { describe, expect, it } from 'vitest';
import { copyField, isoTimestamp } from './copyText.js';

describe('copyField', () => {
  it('writes NULL as \\N and escapes the COPY specials', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField('plain')).toBe('plain');
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField('\\N')).toBe('\\\\N');
    expect(copyField(12.5)).toBe('12.5');
    expect(copyField(Number.NaN)).toBe('\\N');
  });
});

describe('isoTimestamp', () => {
  it('keeps microseconds from a fractional millisecond', () => {
    expect(isoTimestamp(Date.UTC(2026, 9, 10, 13, 55, 36, 123))).toBe('2026-10-10T13:55:36.123Z');
    expect(isoTimestamp(Date.UTC(2026, 9, 10, 13, 55, 36, 123) + 0.456)).toBe('2026-10-10T13:55:36.123456Z');
  });
});

import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('durations', () => {
  it('are written back in the largest unit that states them exactly', () => {
    for (const text of ['7d', '36h', '90m', '45s']) expect(formatDuration(parseDuration(text)!)).toBe(text);
    expect(formatDuration(24 * 3_600_000)).toBe('1d');
    expect(formatDuration(1_500)).toBe('1500ms');
  });
});

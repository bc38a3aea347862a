import { describe, expect, it } from 'vitest';
import { isApiTimestamp } from './apiTimestamp.js';

describe('isApiTimestamp', () => {
  it('takes what the API writes', () => {
    for (const t of ['2026-10-05T00:00:01Z', '2026-10-05T13:55:36.123456Z', '2026-10-05T13:55:36.5Z', '1970-01-01T00:00:00Z', '2099-12-31T23:59:59.999999Z', '2028-02-29T12:00:00Z']) {
      expect(isApiTimestamp(t), t).toBe(true);
    }
  });

  it('refuses what V8 parses but PostgreSQL would not take, or the API never writes', () => {
    for (const t of ['foo 12', '12', '2026-13-45T99:99:99Z', '2026-02-30T00:00:00Z', '2027-02-29T00:00:00Z', '2026-10-05T24:00:00Z',
      '2026-10-05T00:00:60Z', '2026-10-05 00:00:00Z', '2026-10-05T00:00:00', '2026-10-05T00:00:00+00:00', '2026-10-05', '2026-10-05T00:00:00.1234567Z',
      '1969-12-31T23:59:59Z', '2100-01-01T00:00:00Z', '+010000-01-01T00:00:00Z', ' 2026-10-05T00:00:00Z', '2026-10-05T00:00:00Z\n', '']) {
      expect(isApiTimestamp(t), JSON.stringify(t)).toBe(false);
    }
  });
});

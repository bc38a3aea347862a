import { describe, expect, it } from 'vitest';
import { boundSpan } from './evaluator.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);

describe('the part of a job span that is evaluated', () => {
  it('is all of a span shorter than the bound', () => {
    expect(boundSpan({ fromMs: NOW - 2 * DAY, toMs: NOW - DAY }, NOW, 7 * DAY)).toEqual({ evaluated: { fromMs: NOW - 2 * DAY, toMs: NOW - DAY }, notEvaluated: null });
  });

  it('is the bound back from the last record, even a year ago; the rest is named', () => {
    const lastYear = NOW - 365 * DAY;
    expect(boundSpan({ fromMs: lastYear - 30 * DAY, toMs: lastYear }, NOW, 7 * DAY)).toEqual({
      evaluated: { fromMs: lastYear - 7 * DAY, toMs: lastYear }, notEvaluated: { fromMs: lastYear - 30 * DAY, toMs: lastYear - 7 * DAY },
    });
  });

  it('counts back from now when records reach past it (from 1970 to 2099), and is nothing when all are after now', () => {
    expect(boundSpan({ fromMs: 0, toMs: Date.UTC(2099, 0, 1) }, NOW, 7 * DAY)).toEqual({
      evaluated: { fromMs: NOW - 7 * DAY, toMs: NOW }, notEvaluated: { fromMs: 0, toMs: NOW - 7 * DAY },
    });
    expect(boundSpan({ fromMs: NOW + DAY, toMs: NOW + 2 * DAY }, NOW, 7 * DAY)).toEqual({ evaluated: null, notEvaluated: null });
  });
});

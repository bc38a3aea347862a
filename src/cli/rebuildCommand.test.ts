import { describe, expect, it } from 'vitest';
import { rebuildRangeProblem } from './rebuildCommand.js';

describe('rebuildRangeProblem', () => {
  const d = (iso: string) => new Date(iso);
  it('takes a range, or either end alone, or neither', () => {
    expect(rebuildRangeProblem({ from: d('2026-10-01'), to: d('2026-10-02') })).toBeUndefined();
    expect(rebuildRangeProblem({ from: d('2026-10-01') })).toBeUndefined();
    expect(rebuildRangeProblem({ to: d('2026-10-01') })).toBeUndefined();
    expect(rebuildRangeProblem({})).toBeUndefined();
  });
  it('refuses an end at or before the start (--to is exclusive), naming both', () => {
    expect(rebuildRangeProblem({ from: d('2026-10-02'), to: d('2026-10-01') })).toMatch(/^--from \(2026-10-02T00:00:00\.000Z\) must be before --to \(2026-10-01T00:00:00\.000Z\)/);
    expect(rebuildRangeProblem({ from: d('2026-10-01'), to: d('2026-10-01') })).toMatch(/--from .* must be before --to/);
  });
});

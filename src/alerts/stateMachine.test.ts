import { describe, expect, it } from 'vitest';
import { advance, episodesOf, INITIAL_STATE, type Condition, type Step } from './stateMachine.js';

const MIN = 60_000;
/** One step per minute, a 5-minute window ending at each. */
const steps = (values: (number | null)[]): Step[] =>
  values.map((value, i) => ({ windowStartMs: (i - 4) * MIN, windowEndMs: (i + 1) * MIN, value }));
const over50: Condition = { operator: '>', threshold: 50, forMs: 0 };

describe('alert state machine', () => {
  it('fires once when the value crosses the threshold and resolves once when it falls back', () => {
    const { episodes, state } = episodesOf(steps([1, 2, 60, 70, 65, 3, 2]), over50);
    expect(episodes).toEqual([{ windowStartMs: -2 * MIN, windowEndMs: 3 * MIN, value: 60, peak: 70, resolvedAtMs: 6 * MIN }]);
    expect(state).toEqual(INITIAL_STATE);
  });

  it('stays quiet when nothing crosses, and an equal value does not cross a strict >', () => {
    expect(episodesOf(steps([1, 50, 50, 2]), over50).episodes).toEqual([]);
    expect(episodesOf(steps([1, 50, 2]), { ...over50, operator: '>=' }).episodes).toHaveLength(1);
  });

  it('waits in pending for `for`, and a dip back resets the wait', () => {
    const held = { ...over50, forMs: 2 * MIN };
    expect(episodesOf(steps([60, 60, 2, 60, 60, 60, 1]), held).episodes).toEqual([
      { windowStartMs: 1 * MIN, windowEndMs: 6 * MIN, value: 60, peak: 60, resolvedAtMs: 7 * MIN },
    ]);
    const s1 = advance(INITIAL_STATE, steps([60])[0]!, held).state;
    expect(s1.state).toBe('pending');
    expect(advance(s1, { windowStartMs: 0, windowEndMs: 2 * MIN, value: 2 }, held).state.state).toBe('inactive');
  });

  it('with a recover threshold, a value hovering at the threshold does not flap', () => {
    const hovering = [60, 49, 52, 48, 51, 30, 20];
    expect(episodesOf(steps(hovering), over50).episodes).toHaveLength(3);
    const hysteresis = episodesOf(steps(hovering), { ...over50, recoverThreshold: 40 }).episodes;
    expect(hysteresis).toEqual([{ windowStartMs: -4 * MIN, windowEndMs: 1 * MIN, value: 60, peak: 60, resolvedAtMs: 6 * MIN }]);
  });

  it('below-threshold rules fire on low values; no data counts as not breaching and resolves', () => {
    const absence: Condition = { operator: '<', threshold: 1, forMs: 0 };
    expect(episodesOf(steps([5, 0, 0, 3]), absence).episodes).toEqual([
      { windowStartMs: -3 * MIN, windowEndMs: 2 * MIN, value: 0, peak: 0, resolvedAtMs: 4 * MIN },
    ]);
    expect(episodesOf(steps([60, null, 60]), over50).episodes.map((e) => e.resolvedAtMs)).toEqual([2 * MIN, null]);
  });

  it('goes on from a given state: a firing episode carries over, is updated, and resolves later', () => {
    const first = episodesOf(steps([1, 60, 80]), over50);
    expect(first.episodes).toEqual([{ windowStartMs: -3 * MIN, windowEndMs: 2 * MIN, value: 60, peak: 80, resolvedAtMs: null }]);
    const later: Step[] = [{ windowStartMs: -1 * MIN, windowEndMs: 4 * MIN, value: 90 }, { windowStartMs: 0, windowEndMs: 5 * MIN, value: 1 }];
    expect(episodesOf(later, over50, first.state).episodes).toEqual([
      { windowStartMs: -3 * MIN, windowEndMs: 2 * MIN, value: 60, peak: 90, resolvedAtMs: 5 * MIN },
    ]);
  });
});

/**
 * The alert state machine, over event time: inactive → pending (while the condition holds for less
 * than `for`) → firing → resolved (back to inactive). Pure: live evaluation and backtests feed it
 * the same steps and get the same episodes.
 */
import type { OPERATORS } from './rule.js';

export type Operator = (typeof OPERATORS)[number];
export type AlertState = 'inactive' | 'pending' | 'firing';

export interface Condition {
  operator: Operator;
  threshold: number;
  /** Resolve only once the value is back past this; default the threshold itself. */
  recoverThreshold?: number | undefined;
  forMs: number;
}

/** One evaluation: the value of the window ending at `windowEndMs` (null: not enough data to judge). */
export interface Step {
  windowStartMs: number;
  windowEndMs: number;
  value: number | null;
}

/** A firing episode: from the step that fired to the step that resolved it (null while it still fires). */
export interface Episode {
  windowStartMs: number;
  windowEndMs: number;
  /** The value when it fired, and the worst value while it fired. */
  value: number;
  peak: number;
  resolvedAtMs: number | null;
}

export interface MachineState {
  state: AlertState;
  /** Window end of the first step of the current pending or firing stretch. */
  sinceMs: number | null;
  episode: Episode | null;
}

export const INITIAL_STATE: MachineState = { state: 'inactive', sinceMs: null, episode: null };

export function breaches(value: number, operator: Operator, threshold: number): boolean {
  switch (operator) {
    case '>': return value > threshold;
    case '>=': return value >= threshold;
    case '<': return value < threshold;
    case '<=': return value <= threshold;
  }
}

/** Worse is larger for `>`/`>=` rules and smaller for `<`/`<=` ones. */
function worse(a: number, b: number, operator: Operator): number {
  return operator === '>' || operator === '>=' ? Math.max(a, b) : Math.min(a, b);
}

/** A firing alert resolves when the value no longer breaches the recover threshold (hysteresis). */
function recovered(value: number | null, c: Condition): boolean {
  return value === null || !breaches(value, c.operator, c.recoverThreshold ?? c.threshold);
}

/**
 * Advances the machine by one step. Returns the new state, and the episode that fired or resolved
 * at this step (if any): a firing episode is reported once when it fires and once when it resolves.
 */
export function advance(s: MachineState, step: Step, c: Condition): { state: MachineState; fired?: Episode; resolved?: Episode } {
  if (s.state === 'firing') {
    const episode = s.episode!;
    if (recovered(step.value, c)) {
      const done = { ...episode, resolvedAtMs: step.windowEndMs };
      return { state: INITIAL_STATE, resolved: done };
    }
    return { state: { ...s, episode: { ...episode, peak: worse(episode.peak, step.value!, c.operator) } } };
  }
  if (step.value === null || !breaches(step.value, c.operator, c.threshold)) return { state: INITIAL_STATE };
  const sinceMs = s.state === 'pending' ? s.sinceMs! : step.windowEndMs;
  if (step.windowEndMs - sinceMs < c.forMs) return { state: { state: 'pending', sinceMs, episode: null } };
  const episode: Episode = { windowStartMs: step.windowStartMs, windowEndMs: step.windowEndMs, value: step.value, peak: step.value, resolvedAtMs: null };
  return { state: { state: 'firing', sinceMs, episode }, fired: episode };
}

/**
 * Runs the machine over steps in time order. Returns every episode that fired, resolved or went on
 * firing within them (one that was already firing in `from` included), the last possibly still
 * firing, and the state after the last step.
 */
export function episodesOf(steps: readonly Step[], c: Condition, from: MachineState = INITIAL_STATE): { episodes: Episode[]; state: MachineState } {
  const episodes: Episode[] = [];
  let open = -1;
  if (from.state === 'firing') open = episodes.push(from.episode!) - 1;
  let s = from;
  for (const step of steps) {
    const next = advance(s, step, c);
    if (next.fired) open = episodes.push(next.fired) - 1;
    else if (next.resolved) {
      episodes[open] = next.resolved;
      open = -1;
    } else if (next.state.state === 'firing') episodes[open] = next.state.episode!;
    s = next.state;
  }
  return { episodes, state: s };
}

/**
 * episodesOf for steps that come a chunk at a time (a long span, a backtest): the episodes that
 * resolved within these steps, one already firing in `from` included, but not one still firing
 * after the last step. The state carries that one into the next chunk; after the last chunk it is
 * `state.episode`. Chunk by chunk, each episode comes out once, as one pass over every step gives it.
 */
export function settledEpisodesOf(steps: readonly Step[], c: Condition, from: MachineState): { episodes: Episode[]; state: MachineState } {
  const { episodes, state } = episodesOf(steps, c, from);
  // A machine that ends firing has that episode last in the list.
  if (state.state === 'firing') episodes.pop();
  return { episodes, state };
}

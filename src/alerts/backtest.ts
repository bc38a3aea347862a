import type { Queryable } from '../db/db.js';
import { conditionOf } from './condition.js';
import type { LoadedRule } from './rule.js';
import { dbMinutes, windowEnds } from './series.js';
import { INITIAL_STATE, settledEpisodesOf, type Episode } from './stateMachine.js';
import { stepChunks } from './stepChunks.js';

/** Backtests cover at most this much event time (one step a minute). */
export const MAX_BACKTEST_MS = 31 * 86_400_000;

export class BacktestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface BacktestResult {
  episodes: Episode[];
  /** Windows evaluated. */
  steps: number;
  /** The signal stopped it before the end: what it holds covers the windows evaluated until then. */
  aborted: boolean;
}

/**
 * Runs a rule over stored data: the same steps and state machine as live evaluation, every window
 * end in (start, end], nothing written. Returns the episodes it would have had (the last one
 * possibly still firing at the end). A day of windows at a time, the event loop getting a turn
 * between days; `signal` (the request abandoned, or its deadline passed) stops it there.
 */
export async function backtest(
  db: Queryable, rule: LoadedRule, startMs: number, endMs: number, opts: { signal?: AbortSignal | undefined; chunkSteps?: number | undefined } = {},
): Promise<BacktestResult> {
  if (endMs - startMs > MAX_BACKTEST_MS) throw new BacktestError('end_date', 'a backtest covers at most 31 days');
  const { firstEndMs, lastEndMs } = windowEnds(startMs, endMs);
  const condition = conditionOf(rule);
  const episodes: Episode[] = [];
  let state = INITIAL_STATE;
  let steps = 0;
  for await (const chunk of stepChunks(dbMinutes(db, rule), rule, firstEndMs, lastEndMs, opts.chunkSteps)) {
    const settled = settledEpisodesOf(chunk, condition, state);
    episodes.push(...settled.episodes);
    state = settled.state;
    steps += chunk.length;
    await new Promise((resolve) => setImmediate(resolve));
    if (opts.signal?.aborted) return { episodes, steps, aborted: true };
  }
  if (state.episode) episodes.push(state.episode);
  return { episodes, steps, aborted: false };
}

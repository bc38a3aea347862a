/**
 * What a time chart's axes say, as plain functions (no uPlot, no DOM) so that they can be unit-tested:
 * times in 24-hour UTC like every other time in the dashboard, and a stacked chart's scale from zero.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Labels for the x-axis ticks at `ticksMs`, `stepMs` apart: `13:00` within a day (`13:00:30` for
 * sub-minute steps), with the date (`2026-10-02`) below the first tick and wherever the day changes;
 * `10-02` for steps of days, with the year below the first and at a change of year; `2026-10` for
 * steps of months. A line break is a second line under the tick (uPlot draws multi-line labels).
 */
export function timeTickLabels(ticksMs: number[], stepMs: number): string[] {
  let previousDay = '';
  let previousYear = '';
  return ticksMs.map((t) => {
    const iso = new Date(t).toISOString(); // 2026-10-02T13:00:00.000Z, always UTC
    const day = iso.slice(0, 10);
    const year = iso.slice(0, 4);
    let label: string;
    if (stepMs >= 28 * DAY_MS) {
      label = iso.slice(0, 7);
    } else if (stepMs >= DAY_MS) {
      label = year === previousYear ? iso.slice(5, 10) : `${iso.slice(5, 10)}\n${year}`;
    } else {
      const time = stepMs % MINUTE_MS === 0 ? iso.slice(11, 16) : iso.slice(11, 19);
      label = day === previousDay ? time : `${time}\n${day}`;
    }
    previousDay = day;
    previousYear = year;
    return label;
  });
}

/** Steps for the top of a scale: the first of these times a power of ten at or above the data's maximum. */
const NICE_STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/**
 * The y range of a stacked chart: from zero (a band's height is its value only when the stack stands on
 * zero), to a round number at or above the top of the stack (1 for an empty chart).
 */
export function stackedYRange(max: number | null): [number, number] {
  if (max === null || !Number.isFinite(max) || max <= 0) return [0, 1];
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const top = NICE_STEPS.map((s) => Number((s * magnitude).toPrecision(12))).find((v) => v >= max * (1 - 1e-9)) ?? 10 * magnitude;
  return [0, top];
}

/** A y tick: `0`, `750`, `2.5`, `12k`, `1.5M` (no grouping commas, whose meaning varies by locale). */
export function yTickLabel(v: number): string {
  const round = (n: number): string => String(Math.round(n * 100) / 100);
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${round(v / 1e6)}M`;
  if (abs >= 1e4) return `${round(v / 1e3)}k`;
  return round(v);
}

/** The cursor's time in the legend: `2026-10-02 13:05` (UTC), seconds only when they are not zero. */
export function legendTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, iso.slice(17, 19) === '00' ? 16 : 19)}`;
}

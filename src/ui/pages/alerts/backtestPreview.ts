/**
 * What an unsaved rule would have done: the backtest's episodes in a sentence and a table, drawn as
 * markers on the traffic chart of the same range. The traffic is fetched once per editor; each new
 * backtest answer redraws the chart with its markers.
 */
import type { Traffic } from '../../../api/wireTypes.js';
import { api, describeError } from '../../api.js';
import { timeChart, STATUS_COLORS } from '../../charts.js';
import { fmtTime, h, notice } from '../../dom.js';
import { durationMs, fmtValue, type BacktestAnswer, type Kind } from './model.js';

/** The event time a backtest covers (the page's range, made finite and at most 31 days). */
export interface BacktestRange {
  start: string;
  end: string;
  source: string | null;
  /** Why the range differs from the page's, if it does. */
  note: string;
}

export interface BacktestPreview {
  el: HTMLElement;
  /** Marks the shown result as out of date (the form changed or is invalid). */
  stale(text: string): void;
  show(answer: BacktestAnswer, kind: Kind): void;
  error(text: string): void;
  destroy(): void;
}

const FIRED_COLOR = '#7a1fa2';

export function backtestPreview(range: BacktestRange, signal: AbortSignal): BacktestPreview {
  const summary = h('p', { class: 'backtest-summary', 'data-testid': 'backtest-summary', 'aria-live': 'polite' }, 'Fill in the rule to see what it would have done.');
  const chart = h('div', { class: 'chart', 'data-testid': 'backtest-chart' });
  const episodes = h('div', { class: 'table-wrap' });
  const el = h('section', { class: 'panel backtest', 'aria-label': 'Backtest preview', 'data-start': range.start, 'data-end': range.end },
    h('h2', {}, 'Backtest preview'),
    h('p', { class: 'notice' }, `${fmtTime(range.start)} → ${fmtTime(range.end)} UTC${range.note ? ` (${range.note})` : ''}; the filter bar above changes it.`),
    summary, chart, episodes);
  let destroyChart: (() => void) | null = null;
  const traffic: Promise<Traffic> = api.get<Traffic>('/analytics/traffic', { start_date: range.start, end_date: range.end, source: range.source }, signal);
  // The chart is drawn with each answer; a failure to read traffic is said once, in the chart's place.
  traffic.catch((err: unknown) => { if (!signal.aborted) chart.replaceChildren(notice('error', `Traffic: ${describeError(err)}`)); });
  let drawn = 0;

  async function draw(markersAt: number[]): Promise<void> {
    const my = ++drawn;
    const t = await traffic;
    if (my !== drawn || signal.aborted) return;
    destroyChart?.();
    chart.replaceChildren();
    const times = t.series.map((p) => Date.parse(p.bucket));
    const pick = (f: (p: Traffic['series'][number]) => number): number[] => t.series.map(f);
    destroyChart = timeChart(chart, {
      title: 'Traffic, with where the rule would have fired',
      times,
      stacked: true,
      stepMs: durationMs(t.interval) ?? 60_000,
      series: [
        { label: 'other', values: pick((p) => p.count - p.errors - p.client_errors), color: STATUS_COLORS['2xx']! },
        { label: '4xx', values: pick((p) => p.client_errors), color: STATUS_COLORS['4xx']! },
        { label: '5xx', values: pick((p) => p.errors), color: STATUS_COLORS['5xx']! },
      ],
      markers: markersAt.map((at) => ({ at, color: FIRED_COLOR })),
    });
    chart.dataset.markers = String(markersAt.length);
  }

  return {
    el,
    stale(text) {
      summary.textContent = text;
      summary.classList.add('stale');
    },
    show(answer, kind) {
      const n = answer.episodes.length;
      summary.classList.remove('stale');
      summary.dataset.episodes = String(n);
      summary.textContent = n === 0
        ? `Would not have fired in the chosen range (${answer.steps} windows checked).`
        : `Would have fired ${n} ${n === 1 ? 'time' : 'times'} in the chosen range (${answer.steps} windows checked).`;
      episodes.replaceChildren(n === 0 ? '' : h('table', { 'data-testid': 'backtest-episodes' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Fired (window end)'), h('th', {}, 'Resolved'), h('th', { class: 'num' }, 'Value'), h('th', { class: 'num' }, 'Peak'))),
        h('tbody', {}, ...answer.episodes.map((e) => h('tr', {},
          h('td', {}, fmtTime(e.window_end)), h('td', {}, e.resolved_at ? fmtTime(e.resolved_at) : 'still firing at the end'),
          h('td', { class: 'num' }, fmtValue(kind, e.value)), h('td', { class: 'num' }, fmtValue(kind, e.peak)))))));
      draw(answer.episodes.map((e) => Date.parse(e.window_end))).catch((err: unknown) => {
        // A traffic failure is already shown in the chart's place; anything else is said here.
        if (!signal.aborted && !chart.querySelector('.notice')) chart.replaceChildren(notice('error', describeError(err)));
      });
    },
    error(text) {
      summary.classList.add('stale');
      summary.textContent = text;
    },
    destroy() {
      destroyChart?.();
    },
  };
}

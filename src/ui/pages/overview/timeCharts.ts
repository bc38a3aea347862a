import type { Traffic, TrafficPoint } from '../../../api/wireTypes.js';
import { STATUS_COLORS, timeChart, type ChartSeries } from '../../charts.js';
import { h, notice } from '../../dom.js';
import type { PageContext } from '../../page.js';

/** A drag on a time chart makes its span the view's range (kept in the URL, so Back returns). */
export function selectRange(ctx: PageContext): (fromMs: number, toMs: number) => void {
  return (fromMs, toMs) => ctx.navigate({ from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), range: null });
}

export type { Traffic, TrafficPoint };

/** `30m`, `3h`, `1d` → ms: a drag selects whole buckets of the chart's own interval. */
export function intervalMs(interval: string): number {
  const m = /^(\d+)([mhd])$/.exec(interval);
  if (!m) return 60_000;
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

/** Status classes in reading order; `none` is records without a status (error-log lines), `other` the API's rest. */
const CLASS_ORDER = ['2xx', '3xx', '4xx', '5xx', '1xx'];

function classLabel(g: string): string {
  return g === 'none' ? 'no status' : g;
}

export interface ChartPanel {
  element: HTMLElement;
  /** Draws once the panel is in the document (uPlot reads the container's width). */
  draw: () => () => void;
}

/**
 * Requests per bucket stacked by status class (traffic with group_by=status_class); a drag selects a range.
 * Without groups (an API answer for another grouping) it falls back to requests and 5xx.
 */
export function trafficPanel(t: Traffic, title: string, onSelectRange: (fromMs: number, toMs: number) => void): ChartPanel {
  const container = h('div', { class: 'chart', 'data-testid': 'traffic-chart' });
  const times = t.series.map((p) => Date.parse(p.bucket));
  const names = new Set<string>();
  for (const p of t.series) for (const g of Object.keys(p.groups ?? {})) names.add(g);
  const ordered = [...CLASS_ORDER.filter((c) => names.has(c)), ...[...names].filter((c) => !CLASS_ORDER.includes(c)).sort()];
  const series: ChartSeries[] = ordered.length > 0
    ? ordered.map((g) => ({ label: classLabel(g), color: STATUS_COLORS[g] ?? STATUS_COLORS.other!, values: t.series.map((p) => p.groups?.[g] ?? 0) }))
    : [
      { label: 'requests', color: STATUS_COLORS['2xx']!, values: t.series.map((p) => p.count - p.errors) },
      { label: '5xx', color: STATUS_COLORS['5xx']!, values: t.series.map((p) => p.errors) },
    ];
  return {
    element: h('section', { class: 'panel' }, container),
    draw: () => timeChart(container, { title: `${title} (per ${t.interval})`, times, series, stacked: true, onSelectRange, stepMs: intervalMs(t.interval) }),
  };
}

/** p95 and p99 per bucket; logs without a request time get a sentence instead of an empty chart. */
export function latencyPanel(t: Traffic, title: string, onSelectRange: (fromMs: number, toMs: number) => void): ChartPanel {
  const container = h('div', { class: 'chart', 'data-testid': 'latency-chart' });
  const hasLatency = t.series.some((p) => p.p95_ms !== null);
  if (!hasLatency) {
    return {
      element: h('section', { class: 'panel', 'data-testid': 'latency-chart-empty' }, h('h2', {}, title),
        notice('empty', 'No request times in this range: the log format has no $request_time / %D field.')),
      draw: () => () => undefined,
    };
  }
  const times = t.series.map((p) => Date.parse(p.bucket));
  const series: ChartSeries[] = [
    { label: 'p95', color: '#3b7dd8', unit: 'ms', values: t.series.map((p) => p.p95_ms) },
    { label: 'p99', color: '#8e44ad', unit: 'ms', values: t.series.map((p) => p.p99_ms) },
  ];
  return {
    element: h('section', { class: 'panel' }, container),
    draw: () => timeChart(container, { title: `${title} (per ${t.interval})`, times, series, onSelectRange, stepMs: intervalMs(t.interval) }),
  };
}

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { legendTime, stackedYRange, timeTickLabels, yTickLabel } from './chartAxes.js';

/** One series of a time chart: values per x (null = no value there). */
export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Stacked series are drawn as filled bands on top of the ones before them. */
  fill?: boolean;
  unit?: 'count' | 'ms';
}

export interface TimeChartOptions {
  title: string;
  /** Bucket starts, epoch ms. */
  times: number[];
  series: ChartSeries[];
  stacked?: boolean;
  height?: number;
  /** Called with [fromMs, toMs) when the user drags across the chart: the view's new range. */
  onSelectRange?: (fromMs: number, toMs: number) => void;
  /** Extra vertical markers (e.g. where a backtested rule would have fired), epoch ms. */
  markers?: { at: number; color: string }[];
  /** Width of one bucket, for a range selected by drag to cover whole buckets. */
  stepMs?: number;
}

/** Running totals, so stacked series draw as bands (uPlot draws lines; stacking is ours). */
function stack(series: ChartSeries[]): (number | null)[][] {
  const sums = series[0]?.values.map(() => 0) ?? [];
  return series.map((s) => s.values.map((v, i) => (sums[i] = (sums[i] ?? 0) + (v ?? 0))));
}

export const STATUS_COLORS: Record<string, string> = {
  '2xx': '#2e9d5b', '3xx': '#3b7dd8', '4xx': '#e3a21a', '5xx': '#d64545', '1xx': '#8a8a8a', other: '#8a8a8a',
};

/**
 * A time chart (uPlot: ~50 KB, canvas, fast with thousands of points). The element gets
 * `data-points` (how many x values were drawn) so a test can tell a drawn chart from an empty one, and
 * `data-x-ticks` / `data-y-ticks` (JSON: the axis labels last drawn), since text on a canvas cannot be read.
 */
export function timeChart(container: HTMLElement, o: TimeChartOptions): () => void {
  const width = Math.max(280, container.clientWidth || 600);
  const values = o.stacked ? stack(o.series) : o.series.map((s) => s.values);
  // Stacked bands are drawn top first, so each fill covers only its own band.
  const order = o.stacked ? [...o.series.keys()].reverse() : [...o.series.keys()];
  const data: uPlot.AlignedData = [o.times.map((t) => t / 1000), ...order.map((i) => values[i]!)];
  const markers = o.markers ?? [];
  // The axis labels as drawn, for the data attributes (set after each draw: a resize redraws them).
  let xTicks: string[] = [];
  let yTicks: string[] = [];
  const plot = new uPlot({
    title: o.title,
    width,
    height: o.height ?? 220,
    series: [
      { value: (_u: uPlot, v: number | null) => (v === null ? '–' : legendTime(v * 1000)) },
      ...order.map((i) => {
        const s = o.series[i]!;
        return {
          label: s.label,
          stroke: s.color,
          width: 1.5,
          fill: s.fill || o.stacked ? `${s.color}99` : undefined,
          spanGaps: false,
          value: (_u: uPlot, v: number | null, _si: number, idx: number | null) => {
            const own = idx === null ? v : s.values[idx] ?? null;
            return own === null || own === undefined ? '–' : s.unit === 'ms' ? `${own.toFixed(1)} ms` : String(own);
          },
        };
      }),
    ],
    // The axes in 24-hour UTC, like every time the dashboard and the API show (uPlot's own labels read
    // `12am` in the browser's locale). Wider tick spacing: a label may carry a date.
    axes: [
      { space: 80, values: (_u, splits, _ai, _space, incr) => (xTicks = timeTickLabels(splits.map((s) => s * 1000), incr * 1000)) },
      { size: 60, values: (_u, splits) => (yTicks = splits.map(yTickLabel)) },
    ],
    scales: {
      x: { time: true },
      // A stacked area stands on zero: its bands' heights are their values only from there (uPlot's
      // automatic range starts near the lowest band's smallest value and shrinks it to a sliver).
      ...(o.stacked ? { y: { range: (_u: uPlot, _min: number | null, max: number | null) => stackedYRange(max) } } : {}),
    },
    // Splits (where the ticks fall) aligned to UTC midnights and hours.
    tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { drag: { x: true, y: false, setScale: false } },
    hooks: {
      setSelect: [(u) => {
        if (!o.onSelectRange || u.select.width < 2) return;
        const from = u.posToVal(u.select.left, 'x') * 1000;
        const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
        const step = o.stepMs ?? 60_000;
        o.onSelectRange(Math.floor(from / step) * step, Math.ceil(to / step) * step);
      }],
      draw: [(u) => {
        container.dataset.xTicks = JSON.stringify(xTicks);
        container.dataset.yTicks = JSON.stringify(yTicks);
        const ctx = u.ctx;
        for (const m of markers) {
          const x = u.valToPos(m.at / 1000, 'x', true);
          ctx.save();
          ctx.strokeStyle = m.color;
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.restore();
        }
      }],
    },
  }, data, container);
  container.dataset.points = String(o.times.length);
  container.dataset.series = String(o.series.length);
  const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, container.clientWidth), height: o.height ?? 220 }));
  resize.observe(container);
  return () => {
    resize.disconnect();
    plot.destroy();
  };
}

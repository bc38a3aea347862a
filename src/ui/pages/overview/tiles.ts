import type { Summary } from '../../../api/wireTypes.js';
import { fmtInt, fmtMs, fmtPct, h } from '../../dom.js';

export type { Summary };
/** The figures of one period (the range, or `previous`): what a tile reads. */
export type SummaryFigures = NonNullable<Summary['previous']>;

interface TileSpec {
  id: string;
  label: string;
  value: (s: SummaryFigures) => number | null;
  format: (v: number | null) => string;
  /** Whether a rise is good news (more traffic) or bad news (more errors, slower answers). */
  riseIs: 'good' | 'bad';
  /** Error rate is itself a percentage: its change reads in percentage points, not as a ratio. */
  points?: boolean;
}

export const TILES: TileSpec[] = [
  { id: 'requests', label: 'Requests', value: (s) => s.total_requests, format: fmtInt, riseIs: 'good' },
  { id: 'error-rate', label: 'Error rate (5xx)', value: (s) => (s.total_requests > 0 ? s.error_rate_pct : null), format: fmtPct, riseIs: 'bad', points: true },
  { id: 'p95', label: 'p95 latency', value: (s) => s.latency_ms.p95, format: fmtMs, riseIs: 'bad' },
  { id: 'clients', label: 'Unique clients', value: (s) => s.unique_clients, format: fmtInt, riseIs: 'good' },
];

/** The change against the previous period: arrow, amount, and whether it is good or bad news. */
export function describeChange(spec: TileSpec, current: number | null, previous: number | null): { text: string; tone: 'better' | 'worse' | 'same' } {
  if (current === null || previous === null) return { text: 'no previous data', tone: 'same' };
  const diff = spec.points ? current - previous : previous === 0 ? null : ((current - previous) / previous) * 100;
  if (diff === null) return { text: current === 0 ? 'no change' : 'new (none before)', tone: 'same' };
  if (Math.abs(diff) < 0.005) return { text: '→ no change', tone: 'same' };
  const rising = diff > 0;
  const amount = spec.points ? `${Math.abs(diff).toFixed(2)} pp` : `${Math.abs(diff).toFixed(Math.abs(diff) < 10 ? 1 : 0)} %`;
  const good = rising === (spec.riseIs === 'good');
  return { text: `${rising ? '▲' : '▼'} ${amount} vs previous period`, tone: good ? 'better' : 'worse' };
}

/**
 * The four tiles. Each carries its raw figure in `data-value` (empty for none), so a test compares
 * it to the API without re-implementing the formatting.
 */
export function tiles(s: Summary): HTMLElement {
  const prev = s.previous && s.previous.total_records > 0 ? s.previous : null;
  return h('div', { class: 'tiles', 'data-testid': 'tiles' }, ...TILES.map((spec) => {
    const v = spec.value(s);
    const change = describeChange(spec, v, prev ? spec.value(prev) : null);
    let shown = spec.format(v);
    if (spec.id === 'clients' && (s.unique_clients_error ?? 0) > 0) shown = `≈ ${shown}`;
    return h('div', { class: 'tile', 'data-testid': `tile-${spec.id}` },
      h('div', { class: 'label' }, spec.label),
      h('div', { class: 'value', 'data-value': v === null ? '' : String(v) }, shown),
      h('div', { class: `delta ${change.tone}`, 'data-testid': `tile-${spec.id}-change` }, change.text));
  }));
}

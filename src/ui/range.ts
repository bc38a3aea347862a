import type { Extent, Sources } from '../api/wireTypes.js';
import { api } from './api.js';
import { chooseDefaultSource, describeDefaultRange, latestDayWindow, type SourceCount } from './defaultRange.js';
import { h } from './dom.js';

/** The time range a view shows; kept in the URL (`from`, `to`, `range`) so it can be shared. */
export interface ViewRange {
  /** Inclusive start, ISO 8601; null = from the first record. */
  from: string | null;
  /** Exclusive end, ISO 8601; null = to the last record. */
  to: string | null;
  /** The URL's `source` filter (one source or a comma list); null: all. */
  source: string | null;
  /** How the range was chosen, for the picker's label. */
  label: string;
  /** For a range the dashboard chose itself: which one and why, shown above the page. */
  note?: string;
}

export const PRESETS: { key: string; label: string; ms: number | null }[] = [
  { key: '15m', label: 'Last 15 minutes', ms: 15 * 60_000 },
  { key: '1h', label: 'Last hour', ms: 3_600_000 },
  { key: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { key: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
  { key: 'all', label: 'All data', ms: null },
];

/**
 * The range a URL asks for. With `from`/`to` it is that; with `range=all` all data; with neither, the
 * latest day of the newest source that holds the bulk of the data (see defaultRange.ts), among the URL's
 * sources if it names some; all data when there is none. A chosen range carries a `note` saying which and why.
 */
export async function resolveRange(params: URLSearchParams, signal?: AbortSignal): Promise<ViewRange> {
  const source = params.get('source') || null;
  const from = params.get('from');
  const to = params.get('to');
  if (from || to) return { from: from || null, to: to || null, source, label: 'Custom range' };
  const all: ViewRange = { from: null, to: null, source, label: 'All data' };
  if (params.get('range') === 'all') return all;
  // The source filter's own sources, when it names some: their newest bulk, not another source's.
  const named = source ? source.split(',').map((s) => s.trim()).filter(Boolean) : [];
  const everySource = await listSources(signal);
  const sources = named.length ? everySource.filter((s) => named.includes(s.source)) : everySource;
  const choice = chooseDefaultSource(sources);
  if (!choice) return all;
  const dayOf = choice.chosen.source;
  const shown = sources.length > 1 || named.length > 0 ? dayOf : null;
  const extent = await api.get<Extent>('/analytics/extent', { source: dayOf }, signal);
  if (!extent.last_timestamp || !extent.first_timestamp) return all;
  const window = latestDayWindow(extent.first_timestamp, extent.last_timestamp);
  const note = describeDefaultRange(shown, extent.last_timestamp, choice.passedOver);
  return { ...window, source, label: 'Latest data', note };
}

/**
 * GET /analytics/sources, asked once per page drawing: the default range and the source filter both need
 * it, and a page's signal is new each time it is drawn, so the answer is kept per signal.
 */
const sourcesBySignal = new WeakMap<AbortSignal, Promise<SourceCount[]>>();
function listSources(signal?: AbortSignal): Promise<SourceCount[]> {
  const cached = signal && sourcesBySignal.get(signal);
  if (cached) return cached;
  const asked = api.get<Sources>('/analytics/sources', {}, signal).then((r) => r.items);
  if (signal) sourcesBySignal.set(signal, asked);
  return asked;
}

/** Every source's name, for the filter bar's source suggestions. */
export async function sourceNames(signal?: AbortSignal): Promise<string[]> {
  return (await listSources(signal)).map((s) => s.source);
}

/** URL parameters for a preset picked now (relative presets become absolute, so a shared link shows the same data). */
export function presetParams(key: string, now = Date.now()): Record<string, string | null> {
  const preset = PRESETS.find((p) => p.key === key);
  if (!preset || preset.ms === null) return { from: null, to: null, range: 'all' };
  return { from: new Date(now - preset.ms).toISOString(), to: new Date(now).toISOString(), range: null };
}

/** `<input type="datetime-local">` works in local time; the URL and the API speak UTC. */
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

function fromLocalInput(v: string): string | null {
  return v ? new Date(v).toISOString() : null;
}

/** The range picker (presets, or a custom range), part of the filter bar; `apply` writes the chosen parameters to the URL. */
export function rangePicker(r: ViewRange, apply: (p: Record<string, string | null>) => void): HTMLElement {
  const preset = h('select', { 'aria-label': 'Time range', 'data-testid': 'range-preset' },
    h('option', { value: '' }, r.label),
    ...PRESETS.map((p) => h('option', { value: p.key }, p.label)),
    h('option', { value: 'custom' }, 'Custom…'));
  const fromInput = h('input', { type: 'datetime-local', 'aria-label': 'From', value: toLocalInput(r.from) });
  const toInput = h('input', { type: 'datetime-local', 'aria-label': 'To', value: toLocalInput(r.to) });
  const custom = h('span', { class: 'custom-range', hidden: true }, fromInput, ' – ', toInput,
    h('button', { type: 'button', onclick: () => apply({ from: fromLocalInput(fromInput.value), to: fromLocalInput(toInput.value), range: null }) }, 'Apply'));
  preset.addEventListener('change', () => {
    if (preset.value === 'custom') custom.hidden = false;
    else if (preset.value) apply(presetParams(preset.value));
  });
  const shown = h('span', { class: 'range-shown', 'data-testid': 'range-shown' },
    r.from || r.to ? `${(r.from ?? '…').replace('T', ' ').slice(0, 16)} → ${(r.to ?? '…').replace('T', ' ').slice(0, 16)} UTC` : 'all data');
  const bar = h('div', { class: 'range-bar' }, preset, custom, shown);
  if (!r.note) return bar;
  const note = h('p', { class: 'range-note', role: 'status', 'data-testid': 'range-note' }, `${r.note} `,
    h('button', { type: 'button', class: 'link', onclick: () => preset.focus() }, 'change range'));
  return h('div', {}, bar, note);
}

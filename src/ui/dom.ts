/** A few DOM helpers: no framework, so the bundle stays small and the page loads at once. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** h('button', { class: 'x', onclick: fn }, 'Save') — attributes, `on*` listeners, children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function clear(el: Element): void {
  el.replaceChildren();
}

const intFormat = new Intl.NumberFormat('en-US');

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : intFormat.format(Math.round(n));
}

export function fmtPct(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : `${n.toFixed(n < 10 ? 2 : 1)} %`;
}

export function fmtMs(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n >= 10_000) return `${(n / 1000).toFixed(1)} s`;
  return n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`;
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** `2026-10-10 13:55:36` in UTC: logs are read in UTC, like the API answers them. */
export function fmtTime(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '') : '–';
}

/** A status line for a section: loading, an error with the API's words, or nothing. */
export function notice(kind: 'loading' | 'error' | 'empty', text: string): HTMLElement {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

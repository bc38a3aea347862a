import { h } from './dom.js';
import * as alerts from './pages/alerts.js';
import * as endpoints from './pages/endpoints.js';
import * as logs from './pages/logs.js';
import * as overview from './pages/overview.js';
import * as sources from './pages/sources.js';
import * as uploads from './pages/uploads.js';

/** What the shell gives a page: where to draw, the URL's parameters, and how to change them. */
export interface PageContext {
  root: HTMLElement;
  params: URLSearchParams;
  /**
   * Changes the URL's parameters (null removes one) and draws the page again; with `page`, goes to
   * that page keeping only the given parameters plus the range and source.
   */
  navigate(params: Record<string, string | null>, opts?: { page?: PageName; replace?: boolean }): void;
  /** Aborted when the page is left or drawn again: pass it to fetches, stop streams on it. */
  signal: AbortSignal;
  /** Runs when the page is left or drawn again (destroy charts, close streams). */
  onLeave(fn: () => void): void;
}

export type PageName = 'overview' | 'endpoints' | 'logs' | 'uploads' | 'sources' | 'alerts';

export interface Page {
  render(ctx: PageContext): Promise<void>;
}

// One bundle (about 130 KB, uPlot included) rather than a module per page: a lazily loaded page
// module is one more round trip after the shell's, measured at ~70 ms of a cold load on localhost.
export const PAGES: { name: PageName; title: string; page: Page }[] = [
  { name: 'overview', title: 'Overview', page: overview },
  { name: 'endpoints', title: 'Endpoints', page: endpoints },
  { name: 'logs', title: 'Logs', page: logs },
  { name: 'uploads', title: 'Uploads', page: uploads },
  { name: 'sources', title: 'Sources', page: sources },
  { name: 'alerts', title: 'Alerts', page: alerts },
];

/** The parameters that follow the user from page to page. */
export const SHARED_PARAMS = ['from', 'to', 'range', 'source'];

export function pagePath(name: PageName): string {
  return name === 'overview' ? '/' : `/ui/${name}`;
}

/**
 * A real link to another page (it can be opened in a new tab or shared) that the shell follows without
 * a reload: the page with `params` and the parameters that follow the user (the range and source).
 */
export function pageLink(ctx: PageContext, page: PageName, params: Record<string, string>, text: string, cls?: string): HTMLAnchorElement {
  const qs = new URLSearchParams();
  for (const k of SHARED_PARAMS) { const v = ctx.params.get(k); if (v) qs.set(k, v); }
  for (const [k, v] of Object.entries(params)) qs.set(k, v);
  const a = h('a', { href: `${pagePath(page)}?${qs.toString()}`, class: cls }, text);
  a.addEventListener('click', (ev) => {
    if (ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
    ev.preventDefault();
    ctx.navigate(params, { page });
  });
  return a;
}

export function pageFromPath(pathname: string): PageName | null {
  if (pathname === '/' || pathname === '') return 'overview';
  const m = /^\/ui\/([a-z]+)\/?$/.exec(pathname);
  const found = PAGES.find((p) => p.name === m?.[1]);
  return found ? found.name : null;
}

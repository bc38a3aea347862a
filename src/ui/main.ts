import { ApiError, apiKey, authHeaders, describeError, setUnauthorizedHandler } from './api.js';
import { clear, h, notice } from './dom.js';
import { PAGES, pageFromPath, pagePath, SHARED_PARAMS, type PageContext, type PageName } from './page.js';
import './style.css';

const app = document.getElementById('app')!;
let leaving: (() => void)[] = [];
let controller = new AbortController();

/** Whether the API wants a key at all (AUTH_DISABLED answers without one). */
async function keyAccepted(key: string | null): Promise<boolean> {
  const res = await fetch('/logs?limit=1', { headers: authHeaders(key) });
  // 403: the key is real but lacks `read` (an ingest-only key): the Uploads page still works with it.
  return res.ok || res.status === 403;
}

function askForKey(message = ''): void {
  leave();
  const input = h('input', { type: 'password', name: 'api-key', autocomplete: 'off', placeholder: 'li_…', 'aria-label': 'API key', required: true });
  const error = h('p', { class: 'notice error', role: 'alert' }, message);
  const form = h('form', { class: 'key-form' },
    h('h1', {}, 'Log Insights'),
    h('p', {}, 'Enter an API key. It is kept in this browser tab only (session storage), and sent as a header, never in a URL.'),
    input, h('button', { type: 'submit' }, 'Open dashboard'), error);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    keyAccepted(key).then((ok) => {
      if (!ok) {
        error.textContent = 'That key was not accepted.';
        return;
      }
      apiKey.set(key);
      void show();
    }).catch((err: unknown) => { error.textContent = describeError(err); });
  });
  app.replaceChildren(form);
  input.focus();
}

function leave(): void {
  controller.abort();
  for (const fn of leaving) fn();
  leaving = [];
  controller = new AbortController();
}

function navigate(params: Record<string, string | null>, opts: { page?: PageName; replace?: boolean } = {}): void {
  const current = new URLSearchParams(location.search);
  const next = new URLSearchParams();
  if (opts.page) {
    for (const k of SHARED_PARAMS) { const v = current.get(k); if (v) next.set(k, v); }
  } else {
    current.forEach((v, k) => next.set(k, v));
  }
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === '') next.delete(k);
    else next.set(k, v);
  }
  const qs = next.toString();
  const url = `${opts.page ? pagePath(opts.page) : location.pathname}${qs ? `?${qs}` : ''}`;
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  void show();
}

function nav(active: PageName): HTMLElement {
  const links = PAGES.map((p) => {
    const a = h('a', { href: pagePath(p.name), class: p.name === active ? 'active' : null, 'data-page': p.name }, p.title);
    a.addEventListener('click', (ev) => {
      if (ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
      ev.preventDefault();
      navigate({}, { page: p.name });
    });
    return a;
  });
  const signOut = h('button', { type: 'button', class: 'link', onclick: () => { apiKey.clear(); askForKey(); } }, 'Forget key');
  return h('nav', { class: 'top' }, h('span', { class: 'brand' }, 'Log Insights'), ...links, h('span', { class: 'spacer' }), signOut);
}

async function show(): Promise<void> {
  leave();
  const name = pageFromPath(location.pathname);
  if (!name) {
    app.replaceChildren(nav('overview'), notice('error', `No page at ${location.pathname}.`));
    return;
  }
  const entry = PAGES.find((p) => p.name === name)!;
  document.title = `${entry.title} · Log Insights`;
  const root = h('main', { id: 'page', 'data-page': name });
  app.replaceChildren(nav(name), root);
  const ctx: PageContext = {
    root,
    params: new URLSearchParams(location.search),
    navigate,
    signal: controller.signal,
    onLeave: (fn) => leaving.push(fn),
  };
  // data-state tells a test or a benchmark when the page has drawn what its first answers hold.
  root.dataset.state = 'loading';
  try {
    await entry.page.render(ctx);
    if (!ctx.signal.aborted) root.dataset.state = 'ready';
  } catch (err) {
    if (ctx.signal.aborted) return;
    root.dataset.state = 'error';
    if (err instanceof ApiError && err.status === 401) return; // the key form is up
    clear(root);
    root.append(notice('error', describeError(err)));
  }
}

setUnauthorizedHandler(() => {
  apiKey.clear();
  askForKey('The API no longer accepts the key (revoked?). Enter another.');
});
window.addEventListener('popstate', () => void show());

async function start(): Promise<void> {
  // A stored key is used at once: a refusal of any call brings the key form back (setUnauthorizedHandler),
  // so checking it first would only add a round trip to every page load.
  if (apiKey.get() || await keyAccepted(null)) return show();
  askForKey();
}

start().catch((err: unknown) => app.replaceChildren(notice('error', describeError(err))));

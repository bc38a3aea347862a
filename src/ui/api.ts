/** The dashboard's one way to the API: same origin, the key in a header (never in the URL), problems as errors. */
import type { ProblemBody } from '../api/wireTypes.js';

const KEY_STORAGE = 'loginsights.apiKey';

/** A problem (RFC 9457) as the API sends it; a failure that is not one (a proxy's page) has only its status. */
export type Problem = Partial<ProblemBody> & { status: number };

export class ApiError extends Error {
  constructor(readonly status: number, readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

export type Query = Record<string, string | number | boolean | null | undefined>;

/** The key lives in sessionStorage: asked once per browser session, gone when the tab closes. */
export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_STORAGE),
  set: (key: string): void => sessionStorage.setItem(KEY_STORAGE, key),
  clear: (): void => sessionStorage.removeItem(KEY_STORAGE),
};

export function withQuery(path: string, query: Query = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/** Called when the API refuses the key (401): the shell asks for a key again. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export function authHeaders(key = apiKey.get()): Record<string, string> {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/**
 * Sent with every call: with AUTH_DISABLED the API takes a POST only when it is not one a page of any
 * origin could send (a form, text/plain), and a custom header is what makes it so.
 */
export const REQUESTED_BY: Record<string, string> = { 'x-requested-by': 'loginsights-dashboard' };

export async function request<T>(method: string, path: string, opts: { query?: Query; body?: unknown; raw?: BodyInit; signal?: AbortSignal; headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...REQUESTED_BY, ...authHeaders(), ...opts.headers };
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(withQuery(path, opts.query), { method, headers, body, signal: opts.signal });
  if (res.status === 401) onUnauthorized();
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({ status: res.status, detail: res.statusText }))) as Problem;
    throw new ApiError(res.status, { ...problem, status: res.status });
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, { body, query }),
  put: <T>(path: string, body?: unknown) => request<T>('PUT', path, { body }),
  patch: <T>(path: string, body?: unknown) => request<T>('PATCH', path, { body }),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** A short human sentence for a failed call: the problem's detail, with the parameters it names. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    const params = err.problem.invalid_params?.map((p) => `${p.name}: ${p.reason}`).join('; ');
    return params ? `${err.message} (${params})` : err.message;
  }
  if (err instanceof DOMException && err.name === 'AbortError') return 'cancelled';
  return err instanceof Error ? err.message : String(err);
}

export interface Batch {
  stream: string;
  /** Where `body` starts in the stream. */
  offset: number;
  body: Buffer;
  lines: number;
}

export interface SenderOptions {
  server: string;
  apiKey?: string | undefined;
  source: string;
  /** Told of each failed attempt that will be retried (the status line's "last error"). */
  onRetry?: (error: string, waitMs: number) => void;
  signal?: AbortSignal;
}

/** An answer that retrying cannot change (a wrong key, a refused batch): `ship` stops and says it. */
export class ShipRefusedError extends Error {}

const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 30_000;

/**
 * Sends one batch to POST /ingest/stream until the server has it: network failures, 408, 429 and 5xx
 * are retried, with back-off doubling to 30 s (or the server's Retry-After); any other answer is final.
 * Returns the stream's acknowledged end. An abort stops the waiting and rejects.
 */
export async function sendBatch(batch: Batch, opts: SenderOptions): Promise<number> {
  const url = new URL('/ingest/stream', opts.server);
  url.searchParams.set('source', opts.source);
  url.searchParams.set('stream', batch.stream);
  url.searchParams.set('offset', String(batch.offset));
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  let wait = FIRST_WAIT_MS;
  for (;;) {
    opts.signal?.throwIfAborted();
    let error: string;
    let retryAfterMs: number | undefined;
    try {
      const res = await fetch(url, { method: 'POST', body: batch.body, headers, signal: opts.signal ?? null });
      const text = await res.text();
      if (res.ok) return (JSON.parse(text) as { acked_to: number }).acked_to;
      const detail = problemDetail(text) ?? text.slice(0, 200);
      if (res.status !== 408 && res.status !== 429 && res.status < 500) {
        throw new ShipRefusedError(`${url.origin} answered ${res.status}: ${detail}`);
      }
      error = `${res.status}: ${detail}`;
      const ra = Number(res.headers.get('retry-after'));
      if (Number.isFinite(ra) && ra > 0) retryAfterMs = ra * 1000;
    } catch (err) {
      if (err instanceof ShipRefusedError || opts.signal?.aborted) throw err;
      error = `${url.origin}: ${causeOf(err)}`;
    }
    const ms = Math.min(MAX_WAIT_MS, retryAfterMs ?? wait);
    opts.onRetry?.(error, ms);
    await sleep(ms, opts.signal);
    wait = Math.min(MAX_WAIT_MS, wait * 2);
  }
}

function problemDetail(text: string): string | undefined {
  try {
    const p = JSON.parse(text) as { detail?: unknown };
    return typeof p.detail === 'string' ? p.detail : undefined;
  } catch {
    return undefined;
  }
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED, a reset) in `cause`. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    }, { once: true });
  });
}

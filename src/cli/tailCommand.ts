import type { Writable } from 'node:stream';
import { SseParser } from './sseFrames.js';

export interface TailOptions {
  server: string;
  /** An API key with the read scope. */
  apiKey?: string | undefined;
  source?: string | undefined;
  level?: string | undefined;
  statusCode?: string | undefined;
  /** Normalised routes (`/api/users/{id}`), each whole: a route may hold a comma. */
  route?: readonly string[] | undefined;
  endpoint?: string | undefined;
  method?: string | undefined;
  q?: string | undefined;
  /** Print each record as one line of JSON instead of its raw log line. */
  json?: boolean | undefined;
}

export interface TailOutput {
  stdout: Writable;
  stderr: Writable;
  /** Aborting ends the tail (Ctrl-C) with exit code 0. */
  signal?: AbortSignal | undefined;
}

/** Waits when the output is a slow pipe, so the server sees the back-pressure and counts drops instead of us queueing. */
function writeLine(out: Writable, line: string): Promise<void> | undefined {
  if (out.write(`${line}\n`)) return undefined;
  return new Promise((resolve) => out.once('drain', resolve));
}

export function tailUrl(opts: TailOptions): URL {
  const url = new URL('/logs/tail', opts.server);
  const params: [string, string | undefined][] = [
    ['source', opts.source], ['level', opts.level], ['status_code', opts.statusCode], ['endpoint', opts.endpoint], ['method', opts.method], ['q', opts.q],
  ];
  for (const [name, value] of params) if (value !== undefined) url.searchParams.set(name, value);
  // A list is the parameter repeated, as GET /logs takes it.
  for (const route of opts.route ?? []) url.searchParams.append('route', route);
  return url;
}

/**
 * `loginsights tail`: follows GET /logs/tail, printing each new record's raw line (or JSON) to stdout and
 * drop and gap markers to stderr. Returns the exit code: 0 when aborted, 1 when the stream failed or ended.
 */
export async function tailLogs(opts: TailOptions, out: TailOutput): Promise<number> {
  let res: Response;
  try {
    res = await fetch(tailUrl(opts), {
      headers: { accept: 'text/event-stream', ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}) },
      signal: out.signal ?? null,
    });
  } catch (err) {
    if (out.signal?.aborted) return 0;
    out.stderr.write(`loginsights tail: cannot reach ${opts.server}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (res.status !== 200 || !res.body) {
    const text = await res.text();
    let detail = text.slice(0, 300);
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
    } catch {
      // not problem+json: print the start of the body
    }
    out.stderr.write(`loginsights tail: ${res.status} ${detail}\n`);
    return 1;
  }
  const parser = new SseParser();
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      for (const e of parser.push(decoder.decode(chunk, { stream: true }))) {
        if (e.event === 'record') {
          const line = opts.json ? e.data : (JSON.parse(e.data) as { raw_log: string }).raw_log;
          await writeLine(out.stdout, line);
        } else if (e.event === 'dropped') {
          out.stderr.write(`-- ${(JSON.parse(e.data) as { dropped: number }).dropped} records dropped (reading too slowly, or over the per-batch limit)\n`);
        } else if (e.event === 'gap') {
          out.stderr.write(`-- records may be missing: ${(JSON.parse(e.data) as { reason: string }).reason}\n`);
        } else if (e.event === 'revoked') {
          out.stderr.write(`-- the server ended the stream: ${(JSON.parse(e.data) as { reason: string }).reason}\n`);
        } else if (e.event === 'ready') {
          out.stderr.write(`-- following ${tailUrl(opts).search || 'all records'} (Ctrl-C to stop)\n`);
        }
      }
    }
  } catch (err) {
    if (out.signal?.aborted) return 0;
    out.stderr.write(`loginsights tail: stream failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (out.signal?.aborted) return 0;
  out.stderr.write('loginsights tail: the server ended the stream\n');
  return 1;
}

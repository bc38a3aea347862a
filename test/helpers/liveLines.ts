import { generateNginxTimed } from '../../bench/generate.js';
import type { JournalLines } from '../../src/live/journalLines.js';
import type { TestService } from './service.js';

/** Journal lines (src/live/journalLines.ts) by source, as text lines without their newlines: what tests compare. */
export function journalTexts(lines: ReadonlyMap<string, JournalLines>): Map<string, string[]> {
  return new Map([...lines].map(([source, l]) => [source, l.data.toString('utf8').split('\n').slice(0, -1)]));
}

/** Generated access lines (nginx combined + request time) from a minute ago, one per element, without newlines. */
export function accessLines(n: number, seed: number, stepMs = 20): string[] {
  return [...generateNginxTimed({ lines: n, seed, startMs: Date.now() - 60_000, stepMs })].join('').split('\n').filter(Boolean);
}

export interface LinesSummary {
  n: number;
  errors: number;
  /** Sum of latencies, ms, rounded. */
  latency: number;
}

/** What a source's stored records add up to: count, 5xx, latency. */
export async function storedSummary(svc: TestService, source: string): Promise<LinesSummary> {
  return (await svc.db.query<LinesSummary>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE status_code >= 500)::int AS errors, coalesce(round(sum(latency_ms)), 0)::int AS latency
     FROM logs WHERE source = $1`, [source])).rows[0]!;
}

/** The same, counted from the lines themselves (status after the request, request_time after the user agent). */
export function linesSummary(lines: readonly string[]): LinesSummary {
  let errors = 0;
  let latency = 0;
  for (const l of lines) {
    if (Number(/" (\d{3}) /.exec(l)![1]) >= 500) errors++;
    const rt = /" ([\d.]+) (?:[\d.]+|-)$/.exec(l);
    if (rt) latency += Number(rt[1]) * 1000;
  }
  return { n: lines.length, errors, latency: Math.round(latency) };
}

/** Reads until `done` holds or the time is up; returns the last reading (for the caller's expect). */
export async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

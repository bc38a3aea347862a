import { authHeaders, withQuery, type Problem, type Query } from '../../api.js';
import { fmtInt, h } from '../../dom.js';
import { SseParser } from './sse.js';
import type { LogRecord, LogTable } from './table.js';

/** Records kept on the page: the newest this many; older rows leave at the bottom so the DOM stays small. */
export const MAX_LIVE_ROWS = 1000;
const RECONNECT_MS = 3000;

export interface LiveControls {
  /** "connecting…", "live", "paused · N new", or why the stream stopped (data-state says which). */
  status: HTMLElement;
  pause: HTMLButtonElement;
}

/**
 * The Live mode of the Logs page: reads GET /logs/tail with fetch() and a streaming body (the key goes
 * in the Authorization header, which EventSource cannot send) and puts each record at the top of the table.
 *
 * Pause keeps the stream open and holds what arrives (at most MAX_LIVE_ROWS, the newest), showing
 * "N new"; Resume puts the held records on top and says how many of them did not fit. Closing the
 * stream instead would lose whatever arrived meanwhile without a count.
 */
export function startLive(opts: { table: LogTable; query: Query; signal: AbortSignal; controls: LiveControls; waiting: HTMLElement }): void {
  const { table, query, signal, controls } = opts;
  let paused = false;
  let held: LogRecord[] = [];
  let arrivedWhilePaused = 0;
  let connectedOnce = false;

  const setStatus = (state: string, text: string) => {
    controls.status.dataset.state = state;
    controls.status.textContent = text;
  };
  const showRecords = (records: LogRecord[]) => {
    // Events arrive oldest first; the table shows newest first.
    if (records.length > 0) opts.waiting.remove();
    table.add(records.slice().reverse(), 'top');
    table.trim(MAX_LIVE_ROWS);
  };

  controls.pause.addEventListener('click', () => {
    paused = !paused;
    controls.pause.textContent = paused ? 'Resume' : 'Pause';
    controls.pause.setAttribute('aria-pressed', String(paused));
    if (paused) {
      setStatus('paused', 'paused · 0 new');
      return;
    }
    const lost = arrivedWhilePaused - held.length;
    if (lost > 0) table.marker(`${fmtInt(lost)} records arrived while paused and are not shown (only the newest ${fmtInt(MAX_LIVE_ROWS)} are kept)`);
    showRecords(held);
    held = [];
    arrivedWhilePaused = 0;
    setStatus('live', 'live');
  });

  const onRecord = (r: LogRecord) => {
    if (!paused) return showRecords([r]);
    held.push(r);
    if (held.length > MAX_LIVE_ROWS) held.shift();
    arrivedWhilePaused++;
    setStatus('paused', `paused · ${fmtInt(arrivedWhilePaused)} new`);
  };

  const onEvent = (event: string, data: string) => {
    if (event === 'ready') setStatus(paused ? 'paused' : 'live', paused ? `paused · ${fmtInt(arrivedWhilePaused)} new` : 'live');
    else if (event === 'record') onRecord(JSON.parse(data) as LogRecord);
    else if (event === 'dropped') {
      const n = (JSON.parse(data) as { dropped: number }).dropped;
      // The server drops when this reader falls behind or a batch holds more than it streams at once.
      table.marker(`dropped ${fmtInt(n)} records (the browser could not keep up); search to see every record`);
    } else if (event === 'revoked') {
      const reason = (JSON.parse(data) as { reason?: string }).reason ?? 'the API key was revoked';
      table.marker(`the stream ended: ${reason}`);
    } else if (event === 'gap') {
      const reason = (JSON.parse(data) as { reason?: string }).reason ?? 'unknown';
      table.marker(`records may be missing here (${reason})`);
    }
  };

  const connect = async (): Promise<void> => {
    setStatus('connecting', 'connecting…');
    const res = await fetch(withQuery('/logs/tail', query), { headers: { accept: 'text/event-stream', ...authHeaders() }, signal });
    if (!res.ok || !res.body) {
      const problem = (await res.json().catch(() => ({}))) as Partial<Problem>;
      const params = problem.invalid_params?.map((p) => `${p.name}: ${p.reason}`).join('; ');
      throw new StreamRefused(res.status, `${problem.detail ?? res.statusText}${params ? ` (${params})` : ''}`);
    }
    if (connectedOnce) table.marker('reconnected: records ingested while the stream was down are not shown (search to see them)');
    connectedOnce = true;
    const parser = new SseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const ev of parser.push(value)) onEvent(ev.event, ev.data);
    }
  };

  const run = async (): Promise<void> => {
    for (;;) {
      try {
        await connect();
        if (signal.aborted) return;
        setStatus('closed', 'the server closed the stream; reconnecting…');
      } catch (err) {
        if (signal.aborted) return;
        // A refused request (bad filter, no key, 503 full) will not get better by itself, except 503.
        if (err instanceof StreamRefused && err.status !== 503) {
          setStatus('error', `Live tail refused (HTTP ${err.status}): ${err.message}`);
          return;
        }
        setStatus('error', `stream lost (${err instanceof Error ? err.message : String(err)}); reconnecting…`);
      }
      await new Promise((r) => setTimeout(r, RECONNECT_MS));
      if (signal.aborted) return;
    }
  };
  void run();
}

class StreamRefused extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export function liveControls(): LiveControls {
  return {
    status: h('span', { class: 'live-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'live-status', 'data-state': 'off' }),
    pause: h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause'),
  };
}

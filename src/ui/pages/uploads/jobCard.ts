import type { Job } from '../../../api/wireTypes.js';
import { api, describeError } from '../../api.js';
import { fmtBytes, fmtInt, fmtTime, h, notice } from '../../dom.js';
import { appendRejectionGroups } from './rejections.js';

export type { Job };

const POLL_MS = 1000;

const done = (j: Job) => j.status === 'succeeded' || j.status === 'failed';
/** The alert rules still run over the job's event time after it succeeded: the card follows them too. */
const evaluating = (j: Job) => j.alert_evaluation?.status === 'pending' || j.alert_evaluation?.status === 'running';

/** One line when the alert rules left part of the job's event time out (older than ALERT_SPAN_MAX before its last record). */
function notEvaluatedLine(job: Job): HTMLElement | null {
  const cut = job.alert_evaluation?.not_evaluated;
  if (!cut) return null;
  return h('p', { class: 'notice', 'data-testid': 'job-alerts-not-evaluated' },
    `Alert rules not evaluated from ${fmtTime(cut.from)} to ${fmtTime(cut.to)} UTC: ${cut.reason}.`);
}

/** Lines per second: between two polls while running, over the whole run once it ended. */
function rate(job: Job, prev: { at: number; lines: number } | null, now: number): number | null {
  if (done(job) && job.started_at && job.finished_at) {
    const secs = (Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000;
    return secs > 0 ? job.lines_processed / secs : null;
  }
  if (prev && now > prev.at) return ((job.lines_processed - prev.lines) * 1000) / (now - prev.at);
  if (job.started_at) {
    const secs = (now - Date.parse(job.started_at)) / 1000;
    return secs > 0 ? job.lines_processed / secs : null;
  }
  return null;
}

/**
 * How sure the format is and what of it is in doubt: detection's warnings (with a catch-all's lines
 * counted), and the lines per layout of a mixed file. Null while nothing is known or all is sure and one layout.
 */
function formatReport(job: Job): HTMLElement | null {
  const mixed = job.layouts.length > 1;
  if (job.format_warnings.length === 0 && !mixed) return null;
  return h('div', { class: 'job-format-report' },
    ...job.format_warnings.map((w) => h('p', { class: 'notice warning', role: 'status', 'data-testid': 'job-format-warning' }, w)),
    mixed ? h('p', { class: 'muted', 'data-testid': 'job-layouts' },
      `Read with ${job.layouts.length} layouts: ${job.layouts.map((l) => `${l.name} ${fmtInt(l.lines)} ${l.lines === 1 ? 'line' : 'lines'}`).join(', ')}`) : null);
}

function stat(name: string, label: string, value: string): HTMLElement {
  return h('div', { class: 'job-stat' }, h('dt', {}, label), h('dd', { 'data-testid': `job-${name}` }, value));
}

/**
 * A job's card: status, bytes processed of total, lines/s, line counts, the format and time zone used, the
 * rejected lines grouped by reason (each group opening onto its lines: number, detail, raw text),
 * and the event time the alert rules left out. It
 * polls GET /ingest/jobs/{id} each second until the job and its alert evaluation have ended.
 */
export function jobCard(initial: Job, opts: { signal: AbortSignal; showRejected: boolean }): { el: HTMLElement } {
  const el = h('article', { class: 'panel job-card', id: `job-${initial.id}`, 'data-testid': 'job-card', 'data-job-id': initial.id });
  let prev: { at: number; lines: number } | null = null;
  let lastRate: number | null = null;
  const rejected = h('details', { class: 'rejected', open: opts.showRejected });
  let rejectedLoaded = false;

  const loadRejected = async (job: Job): Promise<void> => {
    rejectedLoaded = true;
    await appendRejectionGroups(rejected, job.id, opts.signal);
  };

  const draw = (job: Job) => {
    const now = Date.now();
    if (!done(job)) lastRate = rate(job, prev, now) ?? lastRate;
    else lastRate = rate(job, null, now);
    prev = { at: now, lines: job.lines_processed };
    const pct = job.bytes_total > 0 ? (job.bytes_processed / job.bytes_total) * 100 : done(job) ? 100 : 0;
    const name = job.file_name ?? '(no file name)';
    el.dataset.status = job.status;
    el.replaceChildren(...[
      h('header', { class: 'job-head' },
        h('strong', { class: 'job-file' }, name), h('span', { class: `badge job-${job.status}`, 'data-testid': 'job-status' }, job.status),
        h('span', { class: 'muted' }, `source ${job.source} · uploaded ${fmtTime(job.created_at)} UTC`)),
      h('div', { class: 'job-progress' },
        h('progress', { max: Math.max(job.bytes_total, 1), value: job.bytes_total > 0 ? job.bytes_processed : done(job) ? 1 : 0, 'aria-label': `Progress of ${name}` }),
        h('span', { 'data-testid': 'job-bytes' }, `${fmtBytes(job.bytes_processed)} of ${fmtBytes(job.bytes_total)} (${pct.toFixed(0)} %)`)),
      h('dl', { class: 'job-stats' },
        stat('format', 'Format', job.format ?? (job.format_requested === 'auto' ? 'auto (detecting…)' : job.format_requested)),
        job.format_confidence ? stat('confidence', 'Confidence', job.format_confidence) : null,
        stat('tz', 'Time zone', job.tz),
        stat('rate', 'Lines/s', lastRate === null ? '–' : fmtInt(lastRate)),
        stat('processed', 'Lines read', fmtInt(job.lines_processed)),
        stat('ingested', 'Ingested', fmtInt(job.lines_ingested)),
        stat('rejected', 'Rejected', fmtInt(job.lines_rejected)),
        stat('skipped', 'Skipped (empty)', fmtInt(job.lines_skipped))),
      job.error ? h('p', { class: 'notice error', role: 'alert' }, `The job failed: ${job.error}`) : null,
      formatReport(job),
      notEvaluatedLine(job),
      job.lines_rejected > 0 ? rejected : null,
    ].filter((c): c is HTMLElement => c !== null));
    if (job.lines_rejected > 0 && done(job)) {
      rejected.querySelector('summary')?.remove();
      rejected.prepend(h('summary', {}, `Rejected lines (${fmtInt(job.lines_rejected)}), by reason`));
      if (!rejectedLoaded && rejected.open) void loadRejected(job);
      else if (!rejectedLoaded && !rejected.dataset.wired) {
        // The card is drawn again while its alert evaluation runs: one listener is enough.
        rejected.dataset.wired = 'true';
        rejected.addEventListener('toggle', () => { if (rejected.open && !rejectedLoaded) void loadRejected(job); });
      }
    }
  };

  const poll = async (job: Job): Promise<void> => {
    draw(job);
    if (done(job) && !evaluating(job)) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
    if (opts.signal.aborted) return;
    try {
      await poll(await api.get<Job>(`/ingest/jobs/${job.id}`, {}, opts.signal));
    } catch (err) {
      if (opts.signal.aborted) return;
      el.append(notice('error', `Progress unavailable: ${describeError(err)}. Reload the page to try again.`));
    }
  };
  void poll(initial);
  return { el };
}

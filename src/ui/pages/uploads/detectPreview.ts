import type { FormatPreview, PreviewLine } from '../../../api/wireTypes.js';
import { describeError, request } from '../../api.js';
import { fmtBytes, fmtInt, fmtMs, fmtTime, h, notice } from '../../dom.js';
import { readSample, type Sample } from './sample.js';

/** Rows of the table: the first lines of the file, then rejected lines from further on. */
const FIRST_ROWS = 8;
const MORE_REJECTED = 5;

export interface DetectionView {
  el: HTMLElement;
  /** Detection was unsure (`confidence: low`): the page asks before uploading. */
  unsure: boolean;
}

/**
 * Before an upload: a sample of the file (sample.ts) sent to POST /formats/detect, and what came back
 * — the format, how sure, warnings, the layouts and the first lines as they would be stored. Never
 * blocks an upload by failing: a preview that cannot be had says why and the upload goes on.
 */
export async function detectionPreview(
  file: File, opts: { format: string; logFormat: string | null; tz: string | null }, maxLineBytes: number, signal: AbortSignal,
): Promise<DetectionView> {
  const panel = (...children: (Node | string)[]) => h('section', { class: 'panel detect-preview', 'aria-label': `Format of ${file.name}`, 'data-testid': 'detect-preview', 'data-file': file.name },
    h('h2', {}, 'Format of ', h('span', { class: 'mono' }, file.name)), ...children);
  let sample: Sample;
  try {
    sample = await readSample(file, maxLineBytes);
  } catch (err) {
    return { el: panel(notice('error', `The file could not be read: ${describeError(err)}`)), unsure: false };
  }
  if (sample.gzip) return { el: panel(notice('empty', 'Compressed file: detection runs on the server for compressed files; the job will show the format it chose.')), unsure: false };
  if (sample.lines.length === 0) return { el: panel(notice('empty', 'No lines to detect a format from.')), unsure: false };
  let answer: FormatPreview;
  try {
    answer = await request<FormatPreview>('POST', '/formats/detect', {
      body: { lines: sample.lines, format: opts.format, ...(opts.logFormat ? { log_format: opts.logFormat } : {}), ...(opts.tz ? { tz: opts.tz } : {}) }, signal,
    });
  } catch (err) {
    return { el: panel(notice('error', `No format preview: ${describeError(err)}`)), unsure: false };
  }
  return { el: panel(...summary(answer, sample, opts.format === 'auto', maxLineBytes), linesTable(answer.lines, sample)), unsure: answer.confidence === 'low' };
}

function summary(a: FormatPreview, sample: Sample, auto: boolean, maxLineBytes: number): HTMLElement[] {
  const read = a.lines.filter((l) => l.outcome !== 'skipped' && l.outcome !== 'continuation').length;
  const rejected = a.lines.filter((l) => l.outcome === 'rejected').length;
  const out: HTMLElement[] = [
    h('p', { class: 'detect-choice' },
      auto ? 'Detected ' : 'Read as ', h('strong', { 'data-testid': 'detect-format' }, a.format), ' ',
      h('span', { class: `badge confidence-${a.confidence}`, 'data-testid': 'detect-confidence' }, a.confidence === 'high' ? 'sure' : 'unsure'),
      sample.whole ? ` — from the file's ${fmtInt(read)} lines.` : ` — from ${fmtInt(read)} lines of the file's head, middle and end.`),
  ];
  if (a.warnings.length > 0) {
    out.push(h('ul', { class: 'notice warning detect-warnings', role: 'alert', 'data-testid': 'detect-warnings' }, ...a.warnings.map((w) => h('li', {}, w))));
  }
  if (a.layouts.length > 0) {
    out.push(h('p', { class: 'detect-layouts', 'data-testid': 'detect-layouts' }, 'Layouts: ',
      ...a.layouts.flatMap((l, i) => [i > 0 ? ', ' : '', h('span', { class: 'mono' }, l.name), ` ${fmtInt(l.lines)} line${l.lines === 1 ? '' : 's'}`])));
  }
  const notes: string[] = [];
  if (rejected > 0) notes.push(`${fmtInt(rejected)} of ${fmtInt(read)} sample lines would be rejected (kept with their reason).`);
  if (sample.tooLong > 0) notes.push(`${fmtInt(sample.tooLong)} lines longer than ${fmtBytes(maxLineBytes)} were left out of the sample; the upload rejects them.`);
  if (notes.length > 0) out.push(h('p', { class: 'muted' }, notes.join(' ')));
  return out;
}

function linesTable(lines: PreviewLine[], sample: Sample): HTMLElement {
  const shown = lines.filter((l) => l.outcome === 'record' || l.outcome === 'rejected');
  const first = shown.slice(0, FIRST_ROWS);
  const later = shown.slice(FIRST_ROWS).filter((l) => l.outcome === 'rejected').slice(0, MORE_REJECTED);
  const lineNo = (l: PreviewLine) => {
    const n = sample.lineNos[l.line_no - 1];
    return n === null || n === undefined ? '…' : fmtInt(n);
  };
  const row = (l: PreviewLine) => {
    const r = l.record;
    if (l.outcome === 'rejected' || r === null) {
      return h('tr', { class: 'rejected', 'data-line': l.line_no },
        h('td', {}, lineNo(l)), h('td', { class: 'mono' }, l.layout ?? '–'), h('td', { colspan: 6, class: 'reason' }, `rejected: ${l.reason ?? ''}${l.detail ? ` (${l.detail})` : ''}`));
    }
    return h('tr', { 'data-line': l.line_no },
      h('td', {}, lineNo(l)), h('td', { class: 'mono' }, l.layout ?? '–'), h('td', { class: 'nowrap' }, fmtTime(r.timestamp)),
      h('td', {}, r.status_code ?? '–'), h('td', {}, r.method ?? '–'), h('td', { class: 'endpoint', title: r.endpoint ?? '' }, r.endpoint ?? '–'),
      h('td', { class: 'num' }, fmtMs(r.latency_ms)), h('td', { class: 'num' }, r.bytes_sent === null ? '–' : fmtInt(r.bytes_sent)));
  };
  return h('div', { class: 'table-wrap' }, h('table', { class: 'detect-table', 'data-testid': 'detect-table' },
    h('caption', {}, 'The first lines as they would be stored'),
    h('thead', {}, h('tr', {}, ...['Line', 'Layout', 'Time (UTC)', 'Status', 'Method', 'Endpoint', 'Latency', 'Bytes'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...first.map(row), ...later.map(row))));
}

/** Buttons under an unsure preview: resolves true to upload, false to leave the file out. */
export function askToUpload(view: HTMLElement, format: string, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (go: boolean) => {
      bar.remove();
      resolve(go);
    };
    const go = h('button', { type: 'button', class: 'primary', onclick: () => done(true) }, `Upload with ${format}`);
    const bar = h('p', { class: 'detect-ask' },
      'Detection is unsure. Upload as detected, or choose the format (or paste your log_format) above and pick the file again. ',
      go, ' ', h('button', { type: 'button', onclick: () => done(false) }, 'Do not upload'));
    view.append(bar);
    go.focus();
    signal.addEventListener('abort', () => resolve(false), { once: true });
  });
}

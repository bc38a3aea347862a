import type { FormatList, JobPage } from '../../api/wireTypes.js';
import { api, describeError } from '../api.js';
import { fmtBytes, h, notice } from '../dom.js';
import type { PageContext } from '../page.js';
import { askToUpload, detectionPreview } from './uploads/detectPreview.js';
import { uploadForm } from './uploads/form.js';
import { jobCard, type Job } from './uploads/jobCard.js';
import { sendFile, sourceFromFileName, type UploadOptions, type UploadOutcome } from './uploads/send.js';

const RECENT_JOBS = 20;

/**
 * Uploads: send files to POST /logs/upload and follow each job to its end. The recent jobs come from
 * GET /ingest/jobs, so a reload shows past uploads and running ones pick their progress up again.
 */
export async function render(ctx: PageContext): Promise<void> {
  const [formats, recent] = await Promise.all([
    api.get<FormatList>('/formats', {}, ctx.signal),
    api.get<JobPage>('/ingest/jobs', { limit: RECENT_JOBS }, ctx.signal),
  ]);
  const jobsList = h('div', { class: 'jobs-list', 'data-testid': 'jobs-list' });
  const emptyJobs = notice('empty', 'No uploads yet: drop a log file above.');
  const cards = new Map<string, HTMLElement>();
  const addCard = (job: Job, where: 'top' | 'end', showRejected: boolean) => {
    emptyJobs.remove();
    const old = cards.get(job.id);
    const { el } = jobCard(job, { signal: ctx.signal, showRejected });
    cards.set(job.id, el);
    if (old) old.replaceWith(el);
    else if (where === 'top') jobsList.prepend(el);
    else jobsList.append(el);
  };
  for (const job of recent.items) addCard(job, 'end', false);
  if (recent.items.length === 0) jobsList.append(emptyJobs);

  const jobLink = (id: string, text: string) => {
    const a = h('a', { href: `#job-${id}`, 'data-job-link': id }, text);
    // Not a hash navigation: the shell redraws the page on popstate, which a hash change also fires.
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      const card = cards.get(id);
      card?.scrollIntoView({ behavior: 'smooth', block: 'center' });
      card?.classList.add('highlight');
      setTimeout(() => card?.classList.remove('highlight'), 1500);
    });
    return a;
  };

  const uploadsList = h('ul', { class: 'upload-entries', 'aria-label': 'Uploads from this page' });
  const upload = async (file: File, opts: UploadOptions): Promise<void> => {
    const progress = h('progress', { max: Math.max(file.size, 1), value: 0, 'aria-label': `Sending ${file.name}` });
    const outcome = h('span', { class: 'upload-outcome', 'data-testid': 'upload-outcome', role: 'status' }, 'sending…');
    const entry = h('li', { 'data-file': file.name }, h('strong', {}, file.name), ` (${fmtBytes(file.size)}, source ${opts.source}) `, progress, ' ', outcome);
    uploadsList.prepend(entry);
    const result: UploadOutcome = await sendFile(file, opts, (sent) => { progress.value = sent; }, ctx.signal);
    if (ctx.signal.aborted) return;
    progress.remove();
    entry.dataset.outcome = result.kind;
    if (result.kind === 'refused' || result.kind === 'failed') {
      outcome.classList.add('error');
      outcome.setAttribute('role', 'alert');
      outcome.textContent = result.text;
      return;
    }
    const id = result.answer.job_id;
    entry.dataset.jobId = id;
    try {
      if (result.kind === 'accepted' || !cards.has(id)) addCard(await api.get<Job>(`/ingest/jobs/${id}`, {}, ctx.signal), 'top', result.kind === 'accepted');
    } catch (err) {
      if (!ctx.signal.aborted) outcome.after(notice('error', `The job's progress is unavailable: ${describeError(err)}`));
    }
    const resumed = result.answer.resumed_from;
    if (result.kind === 'accepted' && resumed) {
      outcome.replaceChildren(`resumed: this content's job had failed; it continues after line ${resumed.lines_processed.toLocaleString('en')}, nothing is stored twice: `,
        jobLink(id, 'follow the job below'));
    } else if (result.kind === 'accepted') {
      outcome.replaceChildren('accepted: ', jobLink(id, 'follow the job below'));
    } else {
      const again = h('button', { type: 'button', onclick: () => { again.remove(); void upload(file, { ...opts, force: true }); } }, 'Ingest it again anyway');
      outcome.replaceChildren('duplicate: the same content was uploaded before as ', jobLink(id, `job ${id.slice(0, 8)}`),
        '; nothing was ingested again. ', again);
    }
  };

  // The latest file's format preview: how the server would read it, shown before its upload starts.
  const previewSlot = h('div', { class: 'detect-slot', 'aria-live': 'polite' });
  const previewThenUpload = async (file: File, opts: UploadOptions): Promise<void> => {
    previewSlot.replaceChildren(notice('loading', `Reading a sample of ${file.name}…`));
    const view = await detectionPreview(file, opts, formats.max_line_bytes, ctx.signal);
    if (ctx.signal.aborted) return;
    previewSlot.replaceChildren(view.el);
    if (view.unsure && !(await askToUpload(view.el, opts.format === 'auto' ? 'the detected format' : opts.format, ctx.signal))) return;
    await upload(file, opts);
  };

  const form = uploadForm(formats.items, (files, opts) => {
    // One at a time: each upload streams to disk and queues a job; in parallel they would only compete.
    void files.reduce<Promise<void>>((prev, file) => prev.then(() =>
      previewThenUpload(file, { ...opts, source: opts.source ?? sourceFromFileName(file.name) })), Promise.resolve());
  });

  ctx.root.append(h('h1', {}, 'Uploads'), form,
    previewSlot,
    uploadsList,
    h('h2', {}, 'Recent jobs'), jobsList);
}

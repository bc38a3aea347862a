import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FormatPreview } from '../../src/domain/formatDetection.js';
import { REJECTION_REASONS } from '../../src/domain/rejection.js';
import type { IngestJob } from '../../src/ingest/jobs.js';
import { line, MIN } from '../helpers/burstLog.js';
import { chromiumBrowser, openDashboard, type Dashboard } from '../helpers/browser.js';
import { describeBackends } from '../helpers/db.js';
import type { Rejection } from '../helpers/expectedRejections.js';
import { probeAccessLog } from '../helpers/siteLog.js';

/** The probe log (times at +0100), as the file input is given it. */
const ACCESS_LOG = { name: 'probe-access.log', mimeType: 'text/plain', buffer: Buffer.from(probeAccessLog()) };

/**
 * Apache lines of both kinds, common (line 1) and combined (lines 2, 3, the last with `-` for referer and
 * agent), among lines in no format: all dashes, and words. Their identd field is filled in, which nginx
 * never writes (it has ' - ' there): the file reads as Apache's. Line 1 is thirteen years older than the others.
 */
const WITH_REJECTIONS = [
  '192.0.2.14 jdoe alice [03/Jun/2008:09:12:45 +0200] "GET /images/logo.gif HTTP/1.0" 200 4831',
  '198.51.100.23 cwu carol [14/Sep/2021:18:30:12 +0000] "DELETE /sessions/current HTTP/1.1" 204 0 "https://app.example.net/settings" "Mozilla/5.0 (X11; Linux x86_64; rv:91.0) Gecko/20100101 Firefox/91.0"',
  '198.51.100.23 cwu carol [14/Sep/2021:18:30:15 +0000] "POST /sessions HTTP/1.1" 401 512 - -',
  '- - - - - - - -',
  '- - - [-] "-" - - "-" "-"',
  'this is no access log line',
  '- - - [0] - - -',
].join('\n') + '\n';

/**
 * What the service rejects in WITH_REJECTIONS, worked out by hand: a client that is `-` (reported at the
 * first field, named as Apache's LogFormat names it); words, where %u (the third word, at column 9) is not
 * followed by ' ['; and the 2008 line, more than ten years before the file's
 * anchor (the median time of its sample: the earlier 2021 line of the three that parse).
 */
const EXPECTED_REJECTIONS: Rejection[] = [
  [1, 'time_decades_early', "2008-06-03T07:12:45.000Z; the file's lines are near 2021-09-14T18:30:12.000Z"],
  [4, 'bad_client', "%h '-' at column 1"],
  [5, 'bad_client', "%h '-' at column 1"],
  [6, 'layout_mismatch', "apache_combined: expected ' [' after %u (column 9)"],
  [7, 'bad_client', "%h '-' at column 1"],
];

/** Lines as SOURCES.md counts them: a final line without '\n' counts. */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

describeBackends('Uploads page on %s', [chromiumBrowser], (kind) => {
  let d: Dashboard;
  beforeAll(async () => {
    d = await openDashboard(kind);
  });
  afterAll(async () => d?.close());

  /** The card of the job that the upload entry of `fileName` links to, once the job has ended. */
  async function finishedCard(fileName: string) {
    const entry = d.page.locator(`ul.upload-entries li[data-file="${fileName}"]`).first();
    await entry.locator('[data-job-link]').waitFor();
    const id = (await entry.locator('[data-job-link]').getAttribute('data-job-link'))!;
    const card = d.page.locator(`[data-testid="job-card"][data-job-id="${id}"]`);
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 60_000 }).toMatch(/succeeded|failed/);
    return { id, card, entry };
  }

  it('uploads an access log through the file input and shows the job\'s counts as the API has them', async () => {
    const { page } = d;
    await page.goto(`${d.base}/ui/uploads`);
    await page.getByText('No uploads yet').waitFor();
    // The format list comes from GET /formats, auto first and chosen.
    expect(await page.getByLabel('Format').inputValue()).toBe('auto');
    await page.getByLabel('Time zone').fill('europe/berlin'); // the server names it canonically; this log's times carry offsets anyway
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/logs/upload'));
    await page.getByLabel('choose log files').setInputFiles(ACCESS_LOG);
    // A multipart form is what any page may post: the header is what lets it through with AUTH_DISABLED.
    expect((await sent).headers()['x-requested-by']).toBe('loginsights-dashboard');
    const { id, card } = await finishedCard(ACCESS_LOG.name);
    expect(await card.getByTestId('job-status').textContent()).toBe('succeeded');

    const job = (await d.svc.getJson<IngestJob>(`/ingest/jobs/${id}`)).body;
    const shown = async (name: string) => Number((await card.getByTestId(`job-${name}`).textContent())!.replace(/,/g, ''));
    expect(await shown('ingested')).toBe(job.lines_ingested);
    expect(await shown('rejected')).toBe(job.lines_rejected);
    expect(await shown('skipped')).toBe(job.lines_skipped);
    const lines = lineCount(probeAccessLog());
    expect(job.lines_ingested + job.lines_rejected + job.lines_skipped).toBe(lines);
    expect(await card.getByTestId('job-format').textContent()).toBe(job.format);
    expect(job.tz).toBe('Europe/Berlin');
    expect(await card.getByTestId('job-tz').textContent()).toBe('Europe/Berlin');
    expect(await card.getByTestId('job-bytes').textContent()).toContain('(100 %)');
    expect(await card.getByTestId('job-rate').textContent()).toMatch(/^[\d,]+$/);
    // The source defaults to the file name without its extension.
    expect(job.source).toBe('probe-access');
    expect(job.file_name).toBe(ACCESS_LOG.name);
  });

  it('documents the chosen format, and shows how a picked file would be read before uploading it, asking when unsure', async () => {
    const { page } = d;
    if (!page.url().endsWith('/ui/uploads')) await page.goto(`${d.base}/ui/uploads`); // run alone (-t)
    const format = page.locator('select[name="format"]');
    expect(await page.getByTestId('format-doc').isHidden()).toBe(true); // auto has no definition
    await format.selectOption('nginx_combined_timed');
    expect(await page.getByTestId('format-doc').textContent()).toContain('"$http_user_agent" $request_time');
    await format.selectOption('auto');

    // Apache combined + an integer request time: milliseconds or microseconds, the values cannot tell.
    const lines = [1500, 2300, 900].map((t, i) => `203.0.113.${i + 1} - - [06/Dec/2026:10:15:3${i} +0000] "GET /api/items/${i} HTTP/1.1" 200 ${i + 1}12 "-" "curl/8.5" ${t}`);
    lines.splice(2, 0, 'this is no log line');
    const api = (await d.svc.inject({ method: 'POST', url: '/formats/detect', payload: { lines } })).json<FormatPreview>();
    expect(api.confidence).toBe('low');
    let uploaded = false;
    page.on('request', (r) => { if (r.url().endsWith('/logs/upload')) uploaded = true; });
    await page.getByLabel('choose log files').setInputFiles({ name: 'unsure.log', mimeType: 'text/plain', buffer: Buffer.from(`${lines.join('\n')}\n`) });
    const preview = page.getByTestId('detect-preview');
    await preview.getByRole('button', { name: 'Upload with the detected format' }).waitFor();
    expect(await preview.getByTestId('detect-format').textContent()).toBe(api.format);
    expect(await preview.getByTestId('detect-confidence').textContent()).toBe('unsure');
    expect(await preview.getByRole('alert').textContent()).toBe(api.warnings.join(''));
    expect(await preview.getByTestId('detect-layouts').textContent()).toBe(`Layouts: ${api.format} 3 lines`);
    const cells = async (n: number) => preview.locator(`tbody tr[data-line="${n}"] td`).allTextContents();
    expect(await cells(1)).toEqual(['1', api.format, '2026-12-06 10:15:30', '200', 'GET', '/api/items/0', expect.stringMatching(/ ms$/) as string, '112']);
    expect(await cells(3)).toEqual(['3', '–', `rejected: ${api.lines[2]!.reason!} (${api.lines[2]!.detail!})`]);
    await d.screenshot(`uploads-detect${kind === 'pglite' ? '' : `-${kind}`}`);
    await preview.getByRole('button', { name: 'Do not upload' }).click();
    expect(await preview.getByRole('button').count()).toBe(0);
    expect(uploaded).toBe(false);
    expect(await page.locator('ul.upload-entries li[data-file="unsure.log"]').count()).toBe(0);
  });

  it('takes a dropped file and shows its rejected lines grouped by reason, each group opening onto its lines and details', async () => {
    const { page } = d;
    const text = WITH_REJECTIONS;
    // A drop as the browser delivers it: a DataTransfer holding a File, dispatched on the drop zone.
    await page.evaluate(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([${JSON.stringify(text)}], 'common-and-combined.log', { type: 'text/plain' }));
      const zone = document.querySelector('[data-testid="drop-zone"]');
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    // Its sample fits apache_combined and apache_vhost_combined: the page asks before uploading.
    await page.getByRole('button', { name: 'Upload with the detected format' }).click();
    const { id, card } = await finishedCard('common-and-combined.log');
    const job = (await d.svc.getJson<IngestJob>(`/ingest/jobs/${id}`)).body;
    const expected = EXPECTED_REJECTIONS;
    expect(job.lines_rejected).toBe(expected.length);
    expect(job.lines_ingested + job.lines_rejected + job.lines_skipped).toBe(lineCount(text));

    // One group per code, most lines first (ties: the earlier first line): 3 × bad_client, then lines 1 and 6.
    const codes = [...new Set(expected.map(([, code]) => code))];
    const count = (code: string) => expected.filter(([, c]) => c === code).length;
    const order = codes.sort((a, b) => count(b) - count(a));
    const groups = card.getByTestId('rejection-group');
    await expect.poll(() => groups.count()).toBe(order.length);
    for (const [i, code] of order.entries()) {
      const group = groups.nth(i);
      expect(await group.getAttribute('data-code')).toBe(code);
      const n = count(code);
      expect(await group.getByTestId('rejection-group-lines').textContent()).toBe(`${n} ${n === 1 ? 'line' : 'lines'}`);
      expect(await group.getByTestId('rejection-group-reason').textContent()).toBe(REJECTION_REASONS[code]);
      // Closed until asked: opening it lists its lines.
      expect(await group.locator('.rejected-table tbody tr').count()).toBe(0);
      await group.locator('summary').click();
      await expect.poll(() => group.locator('.rejected-table tbody tr').count()).toBe(n);
    }
    for (const [lineNo, code, detail] of expected) {
      const row = card.locator(`[data-code="${code}"] .rejected-table tr[data-line="${lineNo}"]`);
      expect(await row.locator('td').nth(1).textContent()).toBe(detail);
      expect(await row.locator('td').nth(2).textContent()).toBe(text.split('\n')[lineNo - 1]);
    }
  });

  it('says that the same file uploaded again is a duplicate, and links to the first job', async () => {
    const { page } = d;
    const before = await page.locator('ul.upload-entries li').count();
    await page.getByLabel('choose log files').setInputFiles(ACCESS_LOG);
    await expect.poll(() => page.locator('ul.upload-entries li').count()).toBe(before + 1);
    const entry = page.locator('ul.upload-entries li').first();
    await expect.poll(() => entry.getAttribute('data-outcome')).toBe('duplicate');
    expect(await entry.getByTestId('upload-outcome').textContent()).toContain('duplicate: the same content was uploaded before');
    const firstId = await page.locator(`ul.upload-entries li[data-outcome="accepted"][data-file="${ACCESS_LOG.name}"]`).getAttribute('data-job-id');
    expect(await entry.locator('[data-job-link]').getAttribute('data-job-link')).toBe(firstId);
  });

  it('says in words why the API refused a file', async () => {
    const { page } = d;
    // A bzip2 head (the API sniffs the magic bytes) and an empty file, dropped together.
    await page.evaluate(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['BZh91AY&SY' + 'x'.repeat(64)], 'logs.bz2'));
      dt.items.add(new File([], 'empty.log'));
      document.querySelector('[data-testid="drop-zone"]').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    })()`);
    const outcome = (name: string) => page.locator(`ul.upload-entries li[data-file="${name}"][data-outcome="refused"] [data-testid="upload-outcome"]`);
    await outcome('empty.log').waitFor();
    expect(await outcome('logs.bz2').textContent()).toMatch(/^This is not a text or gzip log file: .*bzip2/);
    expect(await outcome('empty.log').textContent()).toMatch(/^The upload was refused: .*empty/);
    expect(await outcome('empty.log').getAttribute('role')).toBe('alert');
  });

  it("says which part of a long job's event time the alert rules did not evaluate", async () => {
    const { page } = d;
    await page.goto(`${d.base}/ui/uploads`);
    const now = Date.now();
    const text = `${line(now - 40 * 24 * 60 * MIN, 200, '/old')}\n${line(now - 5 * MIN, 200, '/new')}\n`;
    await page.getByLabel('choose log files').setInputFiles({ name: 'forty-days.log', mimeType: 'text/plain', buffer: Buffer.from(text) });
    const { id, card } = await finishedCard('forty-days.log');
    // The card follows the alert evaluation after the job succeeded, and says what it left out.
    const shown = card.getByTestId('job-alerts-not-evaluated');
    await shown.waitFor({ timeout: 60_000 });
    const cut = (await d.svc.getJson<IngestJob>(`/ingest/jobs/${id}`)).body.alert_evaluation!.not_evaluated!;
    expect(await shown.textContent()).toBe(
      `Alert rules not evaluated from ${cut.from.replace('T', ' ').slice(0, 19)} to ${cut.to.replace('T', ' ').slice(0, 19)} UTC: ${cut.reason}.`,
    );
  });

  it('shows how sure the format is: the warnings and the layouts of a mixed file', async () => {
    const { page } = d;
    await page.goto(`${d.base}/ui/uploads`);
    const now = Date.now();
    // Timed lines and one with fields no preset explains: read by the catch-all, which the job warns of.
    const lines = Array.from({ length: 20 }, (_, i) => line(now - (30 - i) * MIN, 200, `/t/${i}`))
      .map((l, i) => (i === 5 ? l.replace(/ 0\.010 0\.010$/, ' gzip=2.41 x') : l));
    await page.getByLabel('choose log files').setInputFiles({ name: 'catch-all.log', mimeType: 'text/plain', buffer: Buffer.from(`${lines.join('\n')}\n`) });
    // Unsure before the upload too: the page asks first.
    await page.getByTestId('detect-preview').getByRole('button', { name: 'Upload with the detected format' }).click();
    const { id, card } = await finishedCard('catch-all.log');
    const job = (await d.svc.getJson<IngestJob>(`/ingest/jobs/${id}`)).body;
    expect(job.format_confidence).toBe('low');
    expect(await card.getByTestId('job-confidence').textContent()).toBe('low');
    expect(await card.getByTestId('job-format-warning').allTextContents()).toEqual(job.format_warnings);
    expect(await card.getByTestId('job-layouts').textContent()).toBe(
      `Read with 2 layouts: ${job.layouts.map((l) => `${l.name} ${l.lines} ${l.lines === 1 ? 'line' : 'lines'}`).join(', ')}`,
    );
  });

  it('shows past jobs after a reload, and fits a phone screen', async () => {
    const { page } = d;
    const jobs = (await d.svc.getJson<{ items: IngestJob[] }>('/ingest/jobs')).body.items;
    await page.reload();
    await page.locator('[data-testid="job-card"]').first().waitFor();
    expect(await page.locator('[data-testid="job-card"]').count()).toBe(jobs.length);
    expect(await page.locator('[data-testid="job-card"]').first().getAttribute('data-job-id')).toBe(jobs[0]!.id);
    await d.screenshot(`uploads-1280${kind === 'pglite' ? '' : `-${kind}`}`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator('[data-testid="job-card"]').first().waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await d.screenshot(`uploads-390${kind === 'pglite' ? '' : `-${kind}`}`);
    expect(d.outside).toEqual([]);
    expect(d.cspViolations).toEqual([]);
    expect(d.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});

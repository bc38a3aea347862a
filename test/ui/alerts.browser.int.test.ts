import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumBrowser, openDashboard, type Dashboard } from '../helpers/browser.js';
import { describeBackends } from '../helpers/db.js';
import { readCombined } from '../helpers/logFiles.js';
import { siteAccessLog } from '../helpers/siteLog.js';

/** A small site's generated Apache combined log, 17–20 May 2015: 10,000 lines, a few percent of them 404, 403 and 416. */
const ACCESS_LOG = siteAccessLog();
const records = ACCESS_LOG.split('\n').filter((l) => l !== '').map((l) => readCombined(l)!);
const MINUTE_MS = 60_000;
/**
 * The range the page opens on: the latest day of data, up to the minute after the last record
 * (src/ui/defaultRange.ts latestDayWindow).
 */
const DAY_END_MS = Math.floor(Math.max(...records.map((r) => r.timeMs)) / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
const DAY_START_MS = DAY_END_MS - 86_400_000;

/**
 * For every minute end in the page's range, how many of the file's requests with a matching status
 * the five minutes before it hold: the windows a `5m` count rule looks at, read from the text.
 */
function fiveMinuteCounts(match: (status: number) => boolean): number[] {
  const perMinute = new Map<number, number>();
  for (const r of records) {
    if (!match(r.status)) continue;
    const minute = Math.floor(r.timeMs / MINUTE_MS);
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
  }
  const counts: number[] = [];
  for (let end = DAY_START_MS / MINUTE_MS; end <= DAY_END_MS / MINUTE_MS; end++) {
    let n = 0;
    for (let m = end - 5; m < end; m++) n += perMinute.get(m) ?? 0;
    counts.push(n);
  }
  return counts;
}
/** Just under the busiest five minutes of the day: a threshold that fires there and not everywhere. */
const firingThreshold = (counts: number[]): number => Math.max(...counts) - 1;

const notFound = fiveMinuteCounts((s) => s === 404);
/**
 * Saved before the upload, so the upload's own evaluation records its episodes in history, with evidence.
 * The generated site has no scan bursts (a few 404s in its busiest five minutes), so the threshold comes
 * from the file, not a round number.
 */
const HISTORY_RULE = { name: '404 burst', kind: 'count', filter: { status_code: '404' }, operator: '>', threshold: firingThreshold(notFound), window: '5m', severity: 'warning' };

interface Rule { id: number; name: string; enabled: boolean }
interface State { rule_id: number; state: string; value: number | null }
interface HistoryEntry { id: number; rule_id: number; evidence: { samples: unknown[] } | null }
interface Backtest { episodes: { window_end: string }[] }

describeBackends('Alerts page on %s', [chromiumBrowser], (kind) => {
  let d: Dashboard;

  const api = async <T>(method: 'GET' | 'POST', url: string, payload?: object): Promise<{ status: number; body: T }> => {
    const res = await d.svc.inject({ method, url, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: res.json<T>() };
  };
  const backtest = async (rule: object, start: string, end: string): Promise<Backtest> => {
    const res = await api<Backtest>('POST', '/alerts/rules/backtest', { rule, start_date: start, end_date: end });
    expect(res.status).toBe(200);
    return res.body;
  };
  const text = async (testid: string): Promise<string> => (await d.page.getByTestId(testid).textContent()) ?? '';
  /** Plain names on PGlite, the backend's name added on PostgreSQL. */
  const shot = (name: string): string => (kind === 'pglite' ? name : `${name}-${kind}`);
  const noOverflow = (): Promise<boolean> => d.page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');

  beforeAll(async () => {
    d = await openDashboard(kind);
    expect((await api('POST', '/alerts/rules', HISTORY_RULE)).status).toBe(201);
    const up = await d.svc.upload(ACCESS_LOG, { source: 'site' });
    expect(up.status).toBe(202);
    expect((await d.svc.waitForJob(up.body.job_id)).status).toBe('succeeded');
    // The upload's evaluation runs right after the job and records its episodes one by one: wait for all of them.
    expect((await d.svc.waitForAlertEvaluation(up.body.job_id)).alert_evaluation.status).toBe('done');
  }, 120_000);
  afterAll(async () => d?.close());

  it('lists the rules with their condition and live state, and the history with its evidence', async () => {
    const { page } = d;
    await page.goto(`${d.base}/ui/alerts`);
    const rows = page.getByTestId('rule-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await text('rule-condition')).toBe(`404 count > ${HISTORY_RULE.threshold} in 5m`);
    const states = (await d.svc.getJson<{ items: State[] }>('/alerts/states')).body.items;
    expect(states).toHaveLength(1);
    expect(await text('rule-state')).toBe(states[0]!.state);

    // History: the rows of the page's range, as the API lists them for that range.
    const section = page.getByTestId('history');
    const start = (await section.getAttribute('data-start'))!;
    const end = (await section.getAttribute('data-end'))!;
    expect([start, end]).toEqual([new Date(DAY_START_MS).toISOString(), new Date(DAY_END_MS).toISOString()]);
    const history = (await d.svc.getJson<{ items: HistoryEntry[] }>(`/alerts/history?start_date=${start}&end_date=${end}`)).body.items;
    expect(history.length).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('history-row').count()).toBe(history.length);
    const first = history[0]!;
    await page.locator(`[data-history-id="${first.id}"] button`).click();
    await page.getByTestId('evidence').first().waitFor();
    expect(first.evidence?.samples.length).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('evidence-sample').count()).toBe(first.evidence!.samples.length);
    await expect.poll(async () => (await text('evidence')).includes('Notifications') && !(await text('evidence')).includes('Loading')).toBe(true);
    await d.screenshot(shot('alerts-list-1280'));
  });

  it('validates a new rule as it is typed, shows its backtest on the traffic chart, and saves it', async () => {
    const { page } = d;
    const section = page.getByTestId('history');
    const start = (await section.getAttribute('data-start'))!;
    const end = (await section.getAttribute('data-end'))!;
    // A threshold that fires in the default range (the latest day of data), chosen from the file: the
    // API's episodes start in windows over it, so there is at least one and at most one per such window.
    const clientErrors = fiveMinuteCounts((s) => s >= 400 && s < 500);
    const threshold = firingThreshold(clientErrors);
    const expected = (await backtest({ name: 'x', kind: 'count', filter: { status_code: '4xx' }, operator: '>', threshold, window: '5m' }, start, end)).episodes.length;
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThanOrEqual(clientErrors.filter((n) => n > threshold).length);

    await page.getByRole('button', { name: 'New rule' }).click();
    const editor = page.getByRole('form', { name: 'New rule' });
    await editor.waitFor();
    const save = editor.getByRole('button', { name: 'Create rule' });
    expect(await save.isDisabled()).toBe(true);
    await editor.getByLabel('Name', { exact: true }).fill('4xx burst');
    await editor.getByLabel('Status code', { exact: true }).fill('4xx');
    await editor.getByLabel('Threshold', { exact: true }).fill(String(threshold));
    // A window the form itself refuses: the message is next to the field, and Save refuses.
    await editor.getByLabel('Window', { exact: true }).fill('5x');
    const windowError = editor.locator('[data-field="window"] .field-error');
    await expect.poll(() => windowError.textContent()).toContain('expected a duration');
    expect(await save.isDisabled()).toBe(true);
    // A status filter only the API refuses: its message comes back next to the field.
    await editor.getByLabel('Window', { exact: true }).fill('5m');
    await editor.getByLabel('Status code', { exact: true }).fill('4x');
    const statusError = editor.locator('[data-field="filter.status_code"] .field-error');
    await expect.poll(() => statusError.textContent(), { timeout: 10_000 }).not.toBe('');
    expect(await windowError.textContent()).toBe('');
    expect(await save.isDisabled()).toBe(true);
    await editor.getByLabel('Status code', { exact: true }).fill('4xx');
    await expect.poll(() => statusError.textContent()).toBe('');
    // A channel's URL is checked by the API too; its message stays on its own row.
    await editor.getByRole('button', { name: 'Add channel' }).click();
    await editor.getByLabel('Channel URL').fill('not a url');
    const channelError = editor.locator('.row.channel .field-error');
    await expect.poll(() => channelError.textContent(), { timeout: 10_000 }).toContain('URL');
    expect(await save.isDisabled()).toBe(true);
    await editor.getByRole('button', { name: 'Remove channel' }).click();

    // The backtest: the API's count in words, and as many markers on a drawn traffic chart.
    const preview = page.getByRole('region', { name: 'Backtest preview' });
    expect([await preview.getAttribute('data-start'), await preview.getAttribute('data-end')]).toEqual([start, end]);
    const summary = page.getByTestId('backtest-summary');
    await expect.poll(() => summary.getAttribute('data-episodes'), { timeout: 15_000 }).toBe(String(expected));
    expect(await summary.textContent()).toContain(`Would have fired ${expected} time`);
    const chart = page.getByTestId('backtest-chart');
    await expect.poll(() => chart.getAttribute('data-markers')).toBe(String(expected));
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
    expect(await page.getByTestId('backtest-episodes').locator('tbody tr').count()).toBe(expected);
    expect(await save.isDisabled()).toBe(false);
    await d.screenshot(shot('alerts-1280'));

    await save.click();
    await expect.poll(() => page.getByTestId('rule-row').count()).toBe(2);
    expect(new URL(page.url()).searchParams.get('edit')).toBeNull();
    const rules = (await d.svc.getJson<{ items: Rule[] }>('/alerts/rules')).body.items;
    const created = rules.find((r) => r.name === '4xx burst')!;
    expect(created).toMatchObject({ enabled: true, threshold, window: '5m', filter: { status_code: '4xx' } });
    const row = page.locator(`[data-rule-id="${created.id}"]`);
    expect(await row.getByTestId('rule-condition').textContent()).toBe(`4xx count > ${threshold} in 5m`);

    // The enabled switch patches the rule.
    await row.getByLabel('Enabled: 4xx burst').uncheck();
    await expect.poll(async () => (await d.svc.getJson<Rule>(`/alerts/rules/${created.id}`)).body.enabled).toBe(false);
    await expect.poll(() => page.locator(`[data-rule-id="${created.id}"]`).getByLabel('Enabled: 4xx burst').isChecked()).toBe(false);
  });

  it('adds a silence for a rule and ends it', async () => {
    const { page } = d;
    await page.getByLabel('Silence rule').selectOption({ label: '4xx burst' });
    await page.getByLabel('Silence comment').fill('maintenance window');
    await page.getByRole('button', { name: 'Add silence' }).click();
    await page.getByTestId('silence-row').waitFor();
    const silences = (await d.svc.getJson<{ items: { id: number; comment: string }[] }>('/alerts/silences')).body.items;
    expect(silences).toMatchObject([{ comment: 'maintenance window' }]);
    expect(await page.getByTestId('silence-row').textContent()).toContain('rule 4xx burst');
    await page.getByRole('button', { name: `End silence ${silences[0]!.id} now` }).click();
    await expect.poll(() => page.getByTestId('silence-row').count()).toBe(0);
    expect((await d.svc.getJson<{ items: unknown[] }>('/alerts/silences')).body.items).toEqual([]);
  });

  it('fits a phone-width screen, editor and backtest included; deletes a rule after asking', async () => {
    const { page } = d;
    await page.setViewportSize({ width: 390, height: 844 });
    const rules = (await d.svc.getJson<{ items: Rule[] }>('/alerts/rules')).body.items;
    await page.goto(`${d.base}/ui/alerts`);
    await page.getByTestId('rule-row').first().waitFor();
    expect(await noOverflow()).toBe(true);
    await d.screenshot(shot('alerts-list-390'));
    await page.goto(`${d.base}/ui/alerts?edit=${rules.find((r) => r.name === '4xx burst')!.id}`);
    await expect.poll(() => page.getByTestId('backtest-chart').getAttribute('data-markers'), { timeout: 15_000 }).not.toBeNull();
    expect(await noOverflow()).toBe(true);
    await d.screenshot(shot('alerts-390'));
    await page.setViewportSize({ width: 1280, height: 800 });

    // Delete asks first, in place; "Keep" leaves the rule, "Yes, delete" removes it.
    const id = rules.find((r) => r.name === '4xx burst')!.id;
    await page.goto(`${d.base}/ui/alerts`);
    await page.getByRole('button', { name: 'Delete 4xx burst' }).click();
    await page.getByRole('button', { name: 'Keep' }).click();
    expect((await d.svc.getJson(`/alerts/rules/${id}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete 4xx burst' }).click();
    await page.getByRole('button', { name: 'Confirm delete 4xx burst' }).click();
    await expect.poll(() => page.getByTestId('rule-row').count()).toBe(1);
    expect((await d.svc.getJson(`/alerts/rules/${id}`)).status).toBe(404);

    expect(d.outside).toEqual([]);

    expect(d.cspViolations).toEqual([]);
    expect(d.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});

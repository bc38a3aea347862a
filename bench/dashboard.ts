/**
 * `npm run bench -- --dashboard`: how long each dashboard page takes to draw its first answers in
 * Debian's Chromium, on a store holding the bench file (1M lines by default), next to the same API
 * calls made directly from Node in the same run (the baseline: what the page adds over its data).
 * "Drawn" is the shell's own signal: `main[data-state=ready]`, set when the page's render resolves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import type { DbKind } from '../src/db/db.js';
import { createFreshStore } from './backends.js';
import { CHROMIUM_ARGS, findChromium, signedInScript } from './chromium.js';
import type { BenchFile } from './dataset.js';
import { uploadFile, waitForJob, waitForSearchIndexes } from './ingestClient.js';
import { BENCH_API_KEY, BENCH_HEADERS, startServer } from './serverProcess.js';
import { ratio, round, summarize, type Summary } from './stats.js';

/** The pages measured; the overview twice: its default (the last day of data) and all data. */
const PAGES = [
  { name: 'overview (default range)', path: '/' },
  { name: 'overview (all data)', path: '/?range=all' },
  { name: 'endpoints', path: '/ui/endpoints' },
  { name: 'logs', path: '/ui/logs' },
  { name: 'uploads', path: '/ui/uploads' },
  { name: 'alerts', path: '/ui/alerts' },
];

export interface PageFigure {
  name: string;
  /** A new tab on an empty cache: the shell and its assets fetched, then the data. */
  cold: Summary | null;
  /** A reload of that tab: assets from the cache, the data asked again. */
  warm: Summary | null;
}

export interface DashboardFigures {
  kind: DbKind;
  lines: number;
  pages: PageFigure[];
  /** The overview's own API calls (all data), made in parallel from Node. */
  overviewApi: Summary | null;
  /** p50 cold overview (all data) ÷ p50 of its API calls. */
  pageOverApi: number | null;
}

export interface DashboardOptions {
  repoRoot: string;
  scratchRoot: string;
  adminUrl: string;
  outDir: string;
  file: BenchFile;
  kind: DbKind;
  runs: number;
  serverEnv: Record<string, string>;
  chromiumPath: string;
  log: (msg: string) => void;
}

/** What the overview asks for over all data (see src/ui/pages/overview): timed as plain fetches. */
const OVERVIEW_CALLS = [
  '/analytics/sources',
  '/analytics/summary?compare=previous&top=10',
  '/analytics/traffic?group_by=status_class',
];

export async function measureDashboard(o: DashboardOptions): Promise<DashboardFigures> {
  const store = await createFreshStore(o.kind, { scratchRoot: o.scratchRoot, adminUrl: o.adminUrl });
  const server = await startServer({
    repoRoot: o.repoRoot, cwd: store.scratchDir, env: { ...o.serverEnv, ...store.env },
    logFile: path.join(o.outDir, `dashboard-${o.kind}.log`),
  });
  const browser = await chromium.launch({ executablePath: o.chromiumPath, headless: true, args: CHROMIUM_ARGS });
  try {
    o.log(`dashboard, ${o.kind}: ingesting ${o.file.lines} lines`);
    const upload = await uploadFile(server.url, o.file.path, 'bench');
    await waitForJob(server.url, upload.jobId, 3_600_000);
    // The steady state a person meets: background trigram builds done (on PGlite one holds its only thread).
    const indexStart = Date.now();
    await waitForSearchIndexes(server.url, 3_600_000);
    o.log(`dashboard, ${o.kind}: ingested; search indexes built ${Math.round((Date.now() - indexStart) / 1000)} s later`);
    const pages: PageFigure[] = [];
    // One browser context, as a person's running browser: each run opens a new tab on an empty cache.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript(signedInScript(BENCH_API_KEY));
    for (const p of PAGES) {
      const cold: number[] = [];
      const warm: number[] = [];
      for (let i = 0; i < o.runs; i++) {
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.clearBrowserCache');
        const time = async (load: () => Promise<unknown>): Promise<number> => {
          const t0 = performance.now();
          await load();
          const settled = page.locator('main[data-state="ready"], main[data-state="error"]');
          await settled.waitFor({ timeout: 60_000 });
          if ((await settled.getAttribute('data-state')) === 'error') throw new Error(`${p.name}: ${await settled.innerText()}`);
          return performance.now() - t0;
        };
        cold.push(await time(() => page.goto(`${server.url}${p.path}`)));
        warm.push(await time(() => page.reload()));
        await page.close();
      }
      pages.push({ name: p.name, cold: summarize(cold), warm: summarize(warm) });
      o.log(`dashboard, ${o.kind}: ${p.name}: cold p50 ${round(summarize(cold)?.p50 ?? NaN)} ms, warm p50 ${round(summarize(warm)?.p50 ?? NaN)} ms`);
    }
    const api: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const t0 = performance.now();
      await Promise.all(OVERVIEW_CALLS.map(async (url) => {
        const res = await fetch(`${server.url}${url}`, { headers: BENCH_HEADERS });
        if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
        await res.arrayBuffer();
      }));
      api.push(performance.now() - t0);
    }
    const overviewApi = summarize(api);
    const all = pages.find((p) => p.name === 'overview (all data)');
    return { kind: o.kind, lines: o.file.lines, pages, overviewApi, pageOverApi: ratio(all?.cold?.p50, overviewApi?.p50) };
  } finally {
    await browser.close();
    await server.stop();
    await store.dispose();
  }
}

export function renderDashboardReport(results: DashboardFigures[]): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`dashboard on ${r.kind}, ${r.lines} lines stored (ms until the page has drawn its first answers; target < 1000):`);
    out.push('                              new tab, empty cache    reload, cached assets');
    out.push('  page                           p50 ms     max ms       p50 ms     max ms');
    for (const p of r.pages) {
      const f = (v: number | undefined): string => (v === undefined ? '–' : String(Math.round(v))).padStart(9);
      out.push(`  ${p.name.padEnd(26)}${f(p.cold?.p50)}  ${f(p.cold?.max)}    ${f(p.warm?.p50)}  ${f(p.warm?.max)}`);
    }
    out.push(`  overview's API calls from Node (baseline): p50 ${Math.round(r.overviewApi?.p50 ?? NaN)} ms; page ÷ API = ${r.pageOverApi ?? '–'}`);
  }
  return out.join('\n');
}

export interface DashboardSectionOptions {
  repoRoot: string;
  out: string;
  scratchDir: string;
  databaseUrl: string;
  backends: DbKind[];
  file: BenchFile;
  runs: number;
  /** Printed above the table: machine, code, input. */
  header: string[];
  log: (msg: string) => void;
}

/** `--dashboard`: every page on each backend; its own results file, dashboard-results-<timestamp>.json. */
export async function dashboardSection(o: DashboardSectionOptions, runStamp: string): Promise<number> {
  const chromiumPath = findChromium();
  if (!chromiumPath) {
    o.log('dashboard: Chromium not found (apt-get install chromium, or set CHROMIUM_PATH)');
    return 1;
  }
  const failures: string[] = [];
  const results: DashboardFigures[] = [];
  for (const kind of o.backends) {
    try {
      results.push(await measureDashboard({
        repoRoot: o.repoRoot, scratchRoot: o.scratchDir, adminUrl: o.databaseUrl, outDir: o.out, file: o.file, kind,
        runs: o.runs, serverEnv: {}, chromiumPath, log: o.log,
      }));
    } catch (err) {
      o.log(`dashboard, ${kind} FAILED: ${err instanceof Error ? err.message : String(err)}`);
      failures.push(`dashboard, ${kind}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const jsonFile = path.join(o.out, `dashboard-results-${runStamp}.json`);
  fs.writeFileSync(jsonFile, `${JSON.stringify({ header: o.header, results, failures }, null, 2)}\n`);
  console.log([
    ...o.header, '',
    results.length ? renderDashboardReport(results) : '(no backend ran)',
    ...(failures.length ? ['', '== FAILED STEPS', ...failures.map((f) => `- ${f}`)] : []),
    '', `full results: ${path.relative(process.cwd(), jsonFile)}`,
  ].join('\n'));
  return failures.length ? 1 : 0;
}

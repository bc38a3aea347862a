/** The results as one JSON document, the targets of the issue, and the table printed to stdout. */
import type { DbKind } from '../src/db/db.js';
import type { AlertBenchFigure } from './alerts.js';
import type { AnalyticsFigure } from './analytics.js';
import type { BackendResult, Check } from './backendRun.js';
import type { ParseBaseline, PipelineBaseline } from './baselines.js';
import type { BenchFile } from './dataset.js';
import type { HostileSpanFigure } from './hostileSpan.js';
import type { IngestFigures } from './ingestRun.js';
import { ratio, type Summary } from './stats.js';

/** Figures quoted in the issue, measured elsewhere on this kind of machine; printed, never measured here. */
export const REFERENCE = {
  goaccessLinesPerSec: 74_000,
  pgCopyRowsPerSec: 205_000,
  plainIlike10mRowsS: 7,
} as const;

export const TARGETS = {
  e2eLinesPerSecPostgres: 150_000, rareQueryP50Ms: 100, ingestRssMb: 400, analyticsP50Ms: 50, analyticsSpeedup: 20, alertTickMs: 2_000,
  hostileSpanHealthzMs: 2_000, hostileSpanPartitions: 1_000,
} as const;

export interface RssStepResult {
  kind: DbKind;
  ingest: IngestFigures;
}

export interface Target {
  name: string;
  target: string;
  value: string;
  status: 'PASS' | 'MISS' | 'NOT RUN';
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: Record<string, string | number>;
  options: Record<string, unknown>;
  serverEnv: Record<string, string>;
  dataset: BenchFile & { generatedS: number | null };
  baselines: {
    parseOnly: ParseBaseline | null;
    workerPipeline: Omit<PipelineBaseline, 'copyFile'> | null;
    reference: typeof REFERENCE;
    /** Every run of each baseline; the figures above are the fastest. */
    runsLinesPerSec: { parseOnly: (number | null)[]; workerPipeline: (number | null)[] };
  };
  backends: Partial<Record<DbKind, BackendResult>>;
  rssStep: RssStepResult[];
  /** Analytics endpoints against plain SQL, on the RSS step's PostgreSQL data. */
  analytics: AnalyticsFigure[];
  /** Live alert evaluation over the same data (absent when the analytics section did not run). */
  alerts?: AlertBenchFigure | undefined;
  /** The hostile-span upload per backend (issue 13). */
  hostileSpan: HostileSpanFigure[];
  targets: Target[];
  failures: string[];
}

const int = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US'));
const num = (n: number | null | undefined, d = 1): string => (n === null || n === undefined ? '-' : n.toFixed(d));
const times = (r: number | null): string => (r === null ? '-' : `${r}×`);
const cpu = (i: IngestFigures): string =>
  `${num(i.cpu.serverS)} / ${num(i.cpu.postgresS)} / ${num(i.cpu.benchClientS)} / ${num(i.cpu.restOfMachineS)} (${num(i.cpu.coresBusy, 2)})`;
const lat = (s: Summary | null | undefined): string => (s ? `${num(s.p50)} / ${num(s.p95)} (${s.n})` : '-');

export function evaluateTargets(r: Pick<BenchResults, 'backends' | 'rssStep' | 'analytics' | 'alerts' | 'hostileSpan'>): Target[] {
  const targets: Target[] = [];
  const pg = r.backends.postgres;
  const e2e = pg?.ingest.linesPerSec ?? null;
  targets.push({
    name: 'end-to-end ingest on PostgreSQL (1M lines, upload accepted → job succeeded)', target: `≥ ${int(TARGETS.e2eLinesPerSecPostgres)} lines/s`,
    value: e2e === null ? '-' : `${int(e2e)} lines/s`,
    status: e2e === null ? 'NOT RUN' : e2e >= TARGETS.e2eLinesPerSecPostgres ? 'PASS' : 'MISS',
  });
  for (const kind of ['postgres', 'pglite'] as const) {
    const b = r.backends[kind];
    const p50 = b?.queries.find((q) => q.name === 'rare_q')?.api?.summary?.p50 ?? null;
    targets.push({
      name: `rare-substring GET /logs p50 after indexing, ${kind}`, target: `≤ ${TARGETS.rareQueryP50Ms} ms`,
      value: p50 === null ? '-' : `${num(p50)} ms (indexing took ${num(b?.ingest.searchIndexingS)} s)`,
      status: p50 === null ? 'NOT RUN' : p50 <= TARGETS.rareQueryP50Ms ? 'PASS' : 'MISS',
    });
  }
  const rows = r.rssStep.find((s) => s.kind === 'postgres')?.ingest.lines;
  for (const a of r.analytics.filter((x) => x.range === 'full')) {
    const p50 = a.api?.p50 ?? null;
    targets.push({
      name: `analytics ${a.name}, full range, ${int(rows)} rows, postgres`,
      target: `p50 ≤ ${TARGETS.analyticsP50Ms} ms and ≥ ${TARGETS.analyticsSpeedup}× SQL`,
      value: `${num(p50)} ms, ${times(a.speedup)}`,
      status: p50 === null ? 'NOT RUN' : p50 <= TARGETS.analyticsP50Ms && (a.speedup ?? 0) >= TARGETS.analyticsSpeedup ? 'PASS' : 'MISS',
    });
  }
  const tick = r.alerts?.tick?.p50 ?? null;
  targets.push({
    name: `alert evaluation, ${int(r.alerts?.rules)} enabled rules, ${int(rows)} rows, postgres`, target: `≤ ${int(TARGETS.alertTickMs)} ms per tick`,
    value: tick === null ? '-' : `${int(tick)} ms p50 of ${r.alerts!.tick!.n} ticks`,
    status: tick === null ? 'NOT RUN' : tick <= TARGETS.alertTickMs ? 'PASS' : 'MISS',
  });
  for (const h of r.hostileSpan) {
    const max = h.healthz?.max ?? null;
    targets.push({
      name: `/healthz during the hostile-span upload and its alert evaluation, ${h.kind}`, target: `every answer ≤ ${int(TARGETS.hostileSpanHealthzMs)} ms`,
      value: max === null ? '-' : `${int(max)} ms max of ${h.healthz!.n}`,
      status: max === null ? 'NOT RUN' : max <= TARGETS.hostileSpanHealthzMs ? 'PASS' : 'MISS',
    });
    targets.push({
      name: `partitions after the hostile-span upload, ${h.kind}`, target: `≤ ${int(TARGETS.hostileSpanPartitions)}`,
      value: int(h.partitions), status: h.partitions <= TARGETS.hostileSpanPartitions ? 'PASS' : 'MISS',
    });
  }
  const rss = r.rssStep.length ? r.rssStep : [];
  if (rss.length === 0) targets.push({ name: 'server RSS while ingesting a 2 GB file', target: `< ${TARGETS.ingestRssMb} MB`, value: '-', status: 'NOT RUN' });
  for (const s of rss) {
    const peak = Math.max(s.ingest.peakRssMb, s.ingest.hwmRssMb);
    targets.push({
      name: `server RSS while ingesting ${num(s.ingest.bytes / 1e9, 2)} GB, ${s.kind}`, target: `< ${TARGETS.ingestRssMb} MB`,
      value: `${int(peak)} MB peak`, status: peak < TARGETS.ingestRssMb ? 'PASS' : 'MISS',
    });
  }
  return targets;
}

/** Pads columns: the first left-aligned, the others right-aligned. */
export function formatTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ').trimEnd()).join('\n');
}

function ingestTable(r: BenchResults, kinds: DbKind[]): string {
  const b = (k: DbKind): BackendResult | undefined => r.backends[k];
  const parse = r.baselines.parseOnly?.linesPerSec ?? null;
  const worker = r.baselines.workerPipeline?.linesPerSec ?? null;
  const row = (label: string, cell: (x: BackendResult) => string): string[] => [label, ...kinds.map((k) => { const x = b(k); return x ? cell(x) : 'failed'; })];
  return formatTable([
    ['', ...kinds],
    ['run 1: ingestion alone', ...kinds.map(() => '')],
    row('  upload accepted (202), s', (x) => num(x.ingest.uploadAcceptedS, 2)),
    row('  upload start → job succeeded, s', (x) => num(x.ingest.endToEndS, 2)),
    row('  upload accepted → job succeeded, s', (x) => num(x.ingest.acceptedToDoneS, 2)),
    row('  END-TO-END lines/s (upload accepted → job succeeded)', (x) => int(x.ingest.linesPerSec)),
    row('  lines/s from upload start (transfer included)', (x) => int(x.ingest.linesPerSecFromUploadStart)),
    row('  first batch committed, s after upload start', (x) => num(x.ingest.firstCommitS, 2)),
    row('  lines/s from first to last commit', (x) => int(x.ingest.steadyLinesPerSec)),
    row('  longest pause between committed batches, s', (x) => num(x.ingest.longestStallS)),
    row('  CPU s: server / postgres / bench / other (cores busy)', (x) => cpu(x.ingest)),
    row('  search indexes all built, s after success', (x) => num(x.ingest.searchIndexingS)),
    row('  server RSS MB: ready / peak / kernel HWM', (x) => `${int(x.ingest.readyRssMb)} / ${int(x.ingest.peakRssMb)} / ${int(x.ingest.hwmRssMb)}`),
    ['run 2: same, with GET /logs during ingest', ...kinds.map(() => '')],
    row('  end-to-end lines/s (accepted → succeeded)', (x) => int(x.ingestUnderSearch.linesPerSec)),
    row('  lines/s from first to last commit', (x) => int(x.ingestUnderSearch.steadyLinesPerSec)),
    row('  longest pause between committed batches, s', (x) => num(x.ingestUnderSearch.longestStallS)),
    row('  CPU s: server / postgres / bench / other (cores busy)', (x) => cpu(x.ingestUnderSearch)),
    row('  search indexes all built, s after success', (x) => num(x.ingestUnderSearch.searchIndexingS)),
    ['baselines on the same backend', ...kinds.map(() => '')],
    row('  COPY rows/s (plain table, 2 btree indexes)', (x) => int(x.copyBaseline.rowsPerSec)),
    row('  run 1 end-to-end ÷ COPY', (x) => times(x.e2eOverCopy)),
    row('  run 1 end-to-end ÷ parse-only (1 core)', (x) => times(ratio(x.ingest.linesPerSec, parse))),
    row('  run 1 end-to-end ÷ worker pipeline (1 core)', (x) => times(ratio(x.ingest.linesPerSec, worker))),
  ]);
}

function queryTable(r: BenchResults, kinds: DbKind[]): string {
  const rows: string[][] = [['ms: p50 / p95 (runs)', ...kinds]];
  const first = kinds.map((k) => r.backends[k]).find((x) => x !== undefined);
  for (const q of first?.queries ?? []) {
    const cell = (k: DbKind, f: (x: NonNullable<BackendResult['queries'][number]>) => string): string => {
      const x = r.backends[k]?.queries.find((y) => y.name === q.name);
      return x ? f(x) : '-';
    };
    rows.push([q.label, ...kinds.map(() => '')]);
    rows.push(['  GET /logs during ingest (run 2)', ...kinds.map((k) => cell(k, (x) => lat(x.during)))]);
    rows.push(['  GET /logs after indexing', ...kinds.map((k) => cell(k, (x) => lat(x.api?.summary)))]);
    rows.push(['  same SQL (searchLogs), no HTTP', ...kinds.map((k) => cell(k, (x) => lat(x.sql.summary)))]);
    rows.push(['  API ÷ SQL (p50)', ...kinds.map((k) => cell(k, (x) => times(x.apiOverSql)))]);
  }
  const il = (k: DbKind, mode: 'planner' | 'seqscan'): string => lat(r.backends[k]?.ilikeCount[mode].summary);
  rows.push([`SELECT count(*) WHERE raw_log ILIKE '%${r.dataset.needle}%'`, ...kinds.map(() => '')]);
  rows.push(['  planner\'s choice (trigram indexes)', ...kinds.map((k) => il(k, 'planner'))]);
  rows.push(['  forced sequential scan', ...kinds.map((k) => il(k, 'seqscan'))]);
  return formatTable(rows);
}

function baselineTable(r: BenchResults): string {
  const p = r.baselines.parseOnly;
  const w = r.baselines.workerPipeline;
  const pgCopy = r.backends.postgres?.copyBaseline.rowsPerSec ?? null;
  const seq = r.backends.postgres?.ilikeCount.seqscan.summary?.p50 ?? null;
  const perMillion = (REFERENCE.plainIlike10mRowsS * 1000) / 10;
  return formatTable([
    ['', 'figure', 'ratio'],
    ['parse only (framing + parser), 1 core, lines/s, best of 2', int(p?.linesPerSec), `runs: ${r.baselines.runsLinesPerSec.parseOnly.map(int).join(', ')}`],
    ['worker pipeline (parse + COPY encoding), 1 core, lines/s, best of 2', int(w?.linesPerSec), `runs: ${r.baselines.runsLinesPerSec.workerPipeline.map(int).join(', ')}`],
    ['reference (not measured here): GoAccess 1.7 parse, lines/s', int(REFERENCE.goaccessLinesPerSec), `parse-only ÷ it: ${times(ratio(p?.linesPerSec, REFERENCE.goaccessLinesPerSec))}`],
    ['reference (not measured here): PG 15 COPY, 2 indexes, rows/s', int(REFERENCE.pgCopyRowsPerSec), `our PG COPY ÷ it: ${times(ratio(pgCopy, REFERENCE.pgCopyRowsPerSec))}`],
    ['reference (not measured here): plain ILIKE, 10M rows, ms', int(REFERENCE.plainIlike10mRowsS * 1000), `(${int(perMillion)} ms per 1M rows; PG seq scan here ${num(seq)} ms per ${int(r.dataset.lines)})`],
  ]);
}

function analyticsTable(r: BenchResults): string {
  return formatTable([
    ['ms', 'range', 'API p50 / p95 (calls)', 'SQL p50 / p95 (runs)', 'SQL ÷ API', 'API read'],
    ...r.analytics.map((a) => [a.name, a.range, lat(a.api), lat(a.sql), times(a.speedup), a.sourceOfTruth ?? '-']),
  ]);
}

function rssTable(r: BenchResults): string {
  return formatTable([
    ['', 'bytes', 'lines', 'accepted → succeeded, s', 'lines/s', 'longest pause, s', 'CPU s: server / pg / bench / other (busy)', 'RSS MB: ready / peak / HWM'],
    ...r.rssStep.map((s) => [
      s.kind, int(s.ingest.bytes), int(s.ingest.lines), num(s.ingest.acceptedToDoneS), int(s.ingest.linesPerSec), num(s.ingest.longestStallS), cpu(s.ingest),
      `${int(s.ingest.readyRssMb)} / ${int(s.ingest.peakRssMb)} / ${int(s.ingest.hwmRssMb)}`,
    ]),
  ]);
}

export function renderReport(r: BenchResults): string {
  const kinds = (Object.keys(r.backends) as DbKind[]).sort().reverse();
  const checks: Check[] = kinds.flatMap((k) => r.backends[k]?.checks.map((c) => ({ ...c, name: `${k}: ${c.name}` })) ?? []);
  for (const a of r.analytics) checks.push({ ok: a.check.ok, name: `analytics ${a.name}, ${a.range}: API and SQL agree`, detail: a.check.detail });
  const out = [
    `Log Insights benchmark, ${r.startedAt}`,
    `machine: ${r.machine.nproc} cores (${r.machine.cpuModel}), ${r.machine.memTotalGb} GB RAM, node ${r.machine.node}, ${r.machine.postgres}`,
    `code: ${r.machine.source}`,
    `input: ${int(r.dataset.lines)} lines, ${num(r.dataset.bytes / 1e6)} MB, nginx combined + request_time (bench/generate.ts, seed ${r.dataset.seed}), ` +
      `${r.dataset.markerLines.length} marker lines with "${r.dataset.needle}"`,
    `server: ${Object.entries(r.serverEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    '',
    '== Ingest (upload request → job succeeded), each run on a fresh store',
    kinds.length ? ingestTable(r, kinds) : '(no backend ran)',
    '',
    '== Searches: GET /logs vs the same SQL',
    kinds.length ? queryTable(r, kinds) : '(no backend ran)',
    '',
    '== Baselines measured in this run, and reference points',
    baselineTable(r),
    '',
    '== RSS step',
    r.rssStep.length ? rssTable(r) : '(skipped: --rss-gb 0, or it failed)',
    '',
    '== Analytics: each endpoint (p50 of its calls) vs the same question in plain SQL over the raw rows',
    r.analytics.length ? analyticsTable(r) : '(skipped: no RSS step on PostgreSQL, or --analytics-api-runs 0)',
    '',
    '== Alerts: live evaluation ticks over the same data',
    r.alerts ? formatTable([
      ['rules', 'kinds', 'tick ms p50 / p95 (ticks)', 'episodes recorded'],
      [int(r.alerts.rules), Object.entries(r.alerts.kinds).map(([k, n]) => `${k} ${n}`).join(', '), lat(r.alerts.tick), int(r.alerts.newEpisodes)],
    ]) : '(skipped: no analytics section)',
    '',
    '== Hostile span: a line a day since 2000 plus 1970 and 2099, three alert rules, /healthz polled throughout',
    r.hostileSpan.length ? formatTable([
      ['backend', 'lines', 'ingested / rejected / skipped', 'upload → evaluated s', '/healthz ms p50 / p95 / max (polls)', 'partitions', 'alerts: steps, not evaluated'],
      ...r.hostileSpan.map((h) => [
        h.kind, int(h.lines), `${int(h.ingested)} / ${int(h.rejected)} / ${int(h.skipped)}`, num(h.jobS),
        h.healthz ? `${num(h.healthz.p50)} / ${num(h.healthz.p95)} / ${num(h.healthz.max)} (${h.healthz.n})` : '-', int(h.partitions),
        `${int(h.alertEvaluation?.steps)}, ${h.alertEvaluation?.not_evaluated ? `${h.alertEvaluation.not_evaluated.from.slice(0, 10)} – ${h.alertEvaluation.not_evaluated.to.slice(0, 10)}` : 'none'}`,
      ]),
    ]) : '(skipped: --hostile-span 0)',
    '',
    '== Targets',
    formatTable(r.targets.map((t) => [t.status, t.name, t.target, t.value])),
    '',
    '== Checks',
    checks.length ? formatTable(checks.map((c) => [c.ok ? 'ok' : 'WRONG', c.name, c.detail])) : '-',
  ];
  if (r.failures.length) out.push('', '== FAILED STEPS', ...r.failures.map((f) => `- ${f}`));
  return out.join('\n');
}

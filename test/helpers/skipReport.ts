/**
 * A vitest reporter that ends the run with what was skipped and why, so that nothing is skipped in
 * silence: one line per skipped suite (or test), under the reason it carries (`needs(…)` in
 * test/helpers/env.ts puts it in the task's meta). Tests skipped without a reason (`.skip`, `.todo`, a
 * `-t` filter, `.only` elsewhere) are counted on one line. Added beside the default reporter in
 * vitest.config.ts and .ci/run.
 */
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';

export interface SkippedTest {
  /** The test file, relative to the repository. */
  file: string;
  /** The suites around the test, outermost first. */
  suites: string[];
  name: string;
  /** What it needs and how to get it; undefined for a skip that gives none. */
  reason: string | undefined;
}

/** The report's lines: a heading per reason, one line per suite (its outermost describe, or the test). */
export function skipReportLines(skipped: SkippedTest[], totalTests: number): string[] {
  if (skipped.length === 0) return [];
  const byReason = new Map<string, Map<string, number>>();
  let unexplained = 0;
  for (const t of skipped) {
    if (t.reason === undefined) {
      unexplained++;
      continue;
    }
    const what = `${t.file} › ${t.suites[0] ?? t.name}`;
    const suites = byReason.get(t.reason) ?? new Map<string, number>();
    suites.set(what, (suites.get(what) ?? 0) + 1);
    byReason.set(t.reason, suites);
  }
  const lines = [`Skipped ${skipped.length} of ${totalTests} tests:`];
  for (const [reason, suites] of [...byReason].sort(([a], [b]) => a.localeCompare(b))) {
    const count = [...suites.values()].reduce((s, n) => s + n, 0);
    lines.push(`  ${count} ${count === 1 ? 'test' : 'tests'}, ${reason}`);
    for (const [what, n] of [...suites].sort(([a], [b]) => a.localeCompare(b))) lines.push(`    skipped ${what} (${n} ${n === 1 ? 'test' : 'tests'})`);
  }
  if (unexplained > 0) lines.push(`  ${unexplained} ${unexplained === 1 ? 'test' : 'tests'} by .skip, .todo, .only or a name filter`);
  if ([...byReason.keys()].some((r) => r !== SUITE_FAILED)) lines.push('  (under CI=true each of these is required: a missing one fails the run)');
  return lines;
}

/** What a skipped test's report says; a test left unrun because its suite failed (a hook threw) says so. */
function skippedTest(test: TestCase, file: string): SkippedTest {
  const suites: string[] = [];
  let suiteFailed = false;
  for (let p = test.parent; p.type === 'suite'; p = p.parent) {
    suites.unshift(p.name);
    suiteFailed ||= p.state() === 'failed';
  }
  const result = test.result();
  const note = result.state === 'skipped' ? result.note : undefined;
  return { file, suites, name: test.name, reason: test.meta().skipReason ?? note ?? (suiteFailed ? SUITE_FAILED : undefined) };
}

export const SUITE_FAILED = 'not run: their suite failed before them (its error is above)';

export default class SkipReport implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const skipped: SkippedTest[] = [];
    let total = 0;
    for (const m of modules) {
      for (const test of m.children.allTests()) {
        total++;
        if (test.result().state === 'skipped') skipped.push(skippedTest(test, m.relativeModuleId));
      }
    }
    const lines = skipReportLines(skipped, total);
    if (lines.length > 0) this.vitest?.logger.log(`\n${lines.join('\n')}`);
  }
}

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    // The default report, then what was skipped and why (nothing is skipped in silence).
    reporters: ['default', './test/helpers/skipReport.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: integration files start databases and worker threads; two at a time is what fits.
    maxWorkers: 2,
    // expect.poll waits for what a page or a service does next. Under CI's load (two test files at once on
    // two cores, PGlite's one backend busy) a round trip can pass vitest's default 1 s; a poll still ends
    // as soon as its condition holds, so this only changes how long a real failure takes to report.
    expect: { poll: { timeout: 10_000 } },
  },
});

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../bench/serverProcess.js';
import { needs, REPO_ROOT, requirement, TEST_ADMIN_KEY, TEST_SECRET_KEY, TSX_IMPORT } from './helpers/env.js';
import { readLines } from './helpers/logFiles.js';
import { suiteServer } from './helpers/serverProcess.js';
import { siteAccessLog } from './helpers/siteLog.js';

/**
 * The CLI on a terminal, as a person sees it: each command runs under `script` (util-linux), which gives
 * it a pseudo-terminal, so the code paths taken only on a TTY (the ingest bar, readable server logs) run
 * in the CLI's own process. Off a terminal, test/cli.int.test.ts covers the plain and JSON forms.
 */
const scriptTool = requirement('script (a pseudo-terminal)', spawnSync('script', ['--version']).status === 0, 'not found; apt-get install bsdutils');

const CLI = [process.execPath, '--import', TSX_IMPORT, path.join(REPO_ROOT, 'src/cli/main.ts')];
/** `script -qfec CMD /dev/null` runs CMD on a new pseudo-terminal and copies what it writes to our stdout. */
const onTerminal = (args: string[]): string[] => ['-qfec', [...CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' '), '/dev/null'];
/** What a terminal shows, without colours and cursor moves (the bar redraws its line with \r and escapes). */
const plain = (s: string): string => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

describe('the CLI on a terminal', needs(scriptTool), () => {
  const suite = suiteServer('li-tty-');
  const dir = suite.dir;

  it('ingest draws a progress bar of bytes, and ends with the counts', () => {
    const file = path.join(dir, 'site.log');
    fs.writeFileSync(file, siteAccessLog());
    const res = spawnSync('script', onTerminal(['ingest', file, '--server', suite.process.url, '--source', 'tty']), {
      cwd: dir, env: { PATH: process.env.PATH ?? '', TERM: 'xterm', LOGINSIGHTS_API_KEY: TEST_ADMIN_KEY }, encoding: 'utf8', timeout: 120_000,
    });
    expect(res.status, res.stdout).toBe(0);
    const screen = plain(res.stdout);
    const size = `${(fs.statSync(file).size / 1024 / 1024).toFixed(1)} MiB`;
    // A bar (only on a terminal), the whole file sent, in units a person reads.
    expect(screen).toMatch(new RegExp(String.raw`upload site\.log \[=+\] 100% ${size.replace('.', '\\.')}/${size.replace('.', '\\.')}`));
    expect(screen).not.toMatch(/\{\w+\}|NaN|Infinity|ETA NF/);
    expect(screen).toMatch(new RegExp(`${readLines(file).length} lines ingested`));
  });

  it('serve writes one readable line per event and per request, with a start-up summary', async () => {
    const port = await freePort();
    const child = spawn('script', onTerminal(['serve']), {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', TERM: 'xterm', HOST: '127.0.0.1', PORT: String(port), DATA_DIR: path.join(dir, 'data2'), ADMIN_API_KEY: TEST_ADMIN_KEY, SECRET_KEY: TEST_SECRET_KEY },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline) throw new Error(`serve did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await fetch(`http://127.0.0.1:${port}/healthz`);
      const until = Date.now() + 10_000;
      while (!/GET \/healthz 200/.test(plain(out)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const lines = plain(out).split(/\r?\n/).filter((l) => l.trim());
      expect(lines.filter((l) => l.startsWith('{')), out).toEqual([]); // no JSON on a terminal
      expect(lines.some((l) => /^\d\d:\d\d:\d\d INFO {2}Log Insights is ready/.test(l)), out).toBe(true);
      expect(plain(out)).toContain(`http://127.0.0.1:${port}`);
      expect(lines.filter((l) => /^\d\d:\d\d:\d\d INFO {2}GET \/healthz 200 \d+ ms$/.test(l)), out).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

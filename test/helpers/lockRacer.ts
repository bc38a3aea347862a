/**
 * A child process for the data-directory lock's tests (src/db/dataDirLock.test.ts). Reads commands
 * from stdin, one per line, and answers one JSON line each on stdout:
 *   lock <dir>   → {"event":"won"} or {"event":"locked","message":…}
 *   block <ms>   → {"event":"blocking"}, then its event loop is blocked for <ms>, then {"event":"unblocked"}
 *   release      → {"event":"released"}
 */
import readline from 'node:readline';
import { DataDirLockedError, lockDataDir, type DataDirLock } from '../../src/db/dataDirLock.js';

const say = (event: string, extra: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, pid: process.pid, ...extra })}\n`);
};

let held: DataDirLock | undefined;
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [cmd, arg] = line.split(' ') as [string, string | undefined];
  if (cmd === 'lock') {
    lockDataDir(arg!, { command: `racer ${process.pid}` }).then(
      (lock) => {
        held = lock;
        say('won');
      },
      (err: unknown) => say(err instanceof DataDirLockedError ? 'locked' : 'error', { message: String(err) }),
    );
  } else if (cmd === 'block') {
    say('blocking');
    const until = Date.now() + Number(arg);
    while (Date.now() < until) {
      // a long synchronous statement, as PGlite runs them
    }
    say('unblocked');
  } else if (cmd === 'release') {
    void held?.release().then(() => say('released'));
    held = undefined;
  }
});
lines.on('close', () => process.exit(0));
say('ready');

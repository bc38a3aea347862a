/**
 * The README's shell examples as a newcomer runs them: a fenced `sh` block cut into its commands, and one
 * bash process that runs them in order (so `export` and `alias` carry over, as in a terminal).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';

/** The fenced ```sh blocks of a Markdown file, in order, each as its text. */
export function shellBlocks(markdownFile: string): string[] {
  const blocks: string[] = [];
  const re = /^```sh\n([\s\S]*?)^```/gm;
  const text = fs.readFileSync(markdownFile, 'utf8');
  for (let m = re.exec(text); m; m = re.exec(text)) blocks.push(m[1]!);
  return blocks;
}

/**
 * A block's commands, each with its comment dropped: a command ends at a line end outside quotes that
 * does not follow a backslash (so a JSON body over three lines is one command). A `#` outside quotes at
 * the start or after a space starts a comment, as in bash (an apostrophe there is not a quote).
 */
export function shellCommands(block: string): string[] {
  const commands: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let comment = false;
  for (let i = 0; i < block.length; i++) {
    const c = block[i]!;
    if (comment) {
      if (c !== '\n') continue;
      comment = false;
    }
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') current += block[i++];
      current += c;
      continue;
    }
    if (c === '#' && (current === '' || /\s$/.test(current))) {
      comment = true;
      continue;
    }
    if (c === '\\' && block[i + 1] === '\n') {
      i++;
      current += ' ';
      continue;
    }
    if (c === '\n') {
      if (current.trim()) commands.push(current.trim());
      current = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    current += c;
  }
  if (current.trim()) commands.push(current.trim());
  return commands;
}

/** One bash process; `run` sends a command and resolves with what it printed and its exit status. */
export class Shell {
  private readonly bash: ChildProcessWithoutNullStreams;
  private out = '';
  private err = '';
  private waiting: (() => void) | undefined;
  private static readonly MARK = '@@readme-shell-done';

  constructor(cwd: string, env: Record<string, string>) {
    this.bash = spawn('bash', ['--norc', '--noprofile'], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env } });
    this.bash.stdout.on('data', (d: Buffer) => { this.out += d.toString(); this.waiting?.(); });
    this.bash.stderr.on('data', (d: Buffer) => { this.err += d.toString(); });
    // Aliases are off in a shell that is not interactive; a newcomer's terminal has them.
    this.bash.stdin.write('shopt -s expand_aliases\n');
  }

  async run(command: string, timeoutMs = 60_000): Promise<{ stdout: string; stderr: string; status: number }> {
    this.out = '';
    this.err = '';
    // The marker goes on a line of its own, after whatever the command printed (curl adds no final newline).
    this.bash.stdin.write(`${command}\nprintf '\\n${Shell.MARK} %s\\n' "$?"\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = new RegExp(`\\n${Shell.MARK} (\\d+)\\n$`).exec(this.out);
      if (m) return { stdout: this.out.slice(0, m.index), stderr: this.err, status: Number(m[1]) };
      if (Date.now() > deadline) throw new Error(`no answer within ${timeoutMs} ms to: ${command}\n${this.out}\n${this.err}`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 200);
      });
    }
  }

  close(): void {
    this.bash.kill('SIGKILL');
  }
}

/**
 * CPU time from /proc, to see where the two cores went during ingestion: the server process (main
 * thread, parser worker, PGlite) and PostgreSQL's processes (backends doing COPY and index builds).
 */
import fs from 'node:fs';

/** sysconf(_SC_CLK_TCK): 100 on every mainstream Linux (x86_64, arm64) kernel configuration. */
const CLK_TCK = 100;

interface ProcStat {
  comm: string;
  /** utime + stime + cutime + cstime, in seconds: the process's own CPU and that of children it reaped. */
  cpuS: number;
}

function readStat(pid: string | number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // `pid (comm) state ppid …`; comm may contain spaces and parentheses, so split after the last ')'.
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return { comm: text.slice(text.indexOf('(') + 1, close), cpuS: ticks / CLK_TCK };
}

export function processCpuSeconds(pid: number): number | null {
  return readStat(pid)?.cpuS ?? null;
}

/**
 * All processes named `postgres` (postmaster, backends, parallel workers, background writers).
 * Parallel workers that exited are counted through the postmaster's reaped-children time.
 */
export function postgresCpuSeconds(): number {
  let sum = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat?.comm === 'postgres') sum += stat.cpuS;
  }
  return sum;
}

export interface CpuSnapshot {
  atMs: number;
  serverS: number | null;
  postgresS: number;
}

export function cpuSnapshot(serverPid: number): CpuSnapshot {
  return { atMs: performance.now(), serverS: processCpuSeconds(serverPid), postgresS: postgresCpuSeconds() };
}

export interface CpuUse {
  wallS: number;
  serverS: number | null;
  postgresS: number;
  /** (server + postgres) CPU seconds ÷ wall seconds: 2.0 means both cores were busy all along. */
  coresBusy: number | null;
}

export function cpuUse(from: CpuSnapshot, to: CpuSnapshot): CpuUse {
  const wallS = (to.atMs - from.atMs) / 1000;
  const serverS = from.serverS !== null && to.serverS !== null ? to.serverS - from.serverS : null;
  const postgresS = to.postgresS - from.postgresS;
  const r = (v: number): number => Math.round(v * 100) / 100;
  return {
    wallS: r(wallS),
    serverS: serverS === null ? null : r(serverS),
    postgresS: r(postgresS),
    coresBusy: serverS === null || wallS <= 0 ? null : r((serverS + postgresS) / wallS),
  };
}

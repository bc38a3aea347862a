/**
 * CPU time from /proc, to see where the two cores went during ingestion: the server process (main
 * thread, parser worker, PGlite), the PostgreSQL backends serving the benchmark's database (COPY,
 * index builds), and everything else on the machine (the box is shared: other work shows up here).
 */
import fs from 'node:fs';

/** sysconf(_SC_CLK_TCK), the unit of /proc times: 100 on every mainstream Linux (x86_64, arm64) kernel. */
const CLK_TCK = 100;
const SAMPLE_MS = 500;

/** utime + stime of a process (all its threads), seconds; null once it has gone. */
function processCpuS(pid: string | number): number | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state …`; comm may contain spaces and parentheses: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine, all cores (first line of /proc/stat, idle and iowait excluded). */
function machineBusyS(): number {
  const [user, nice, system, , , irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLK_TCK;
}

/**
 * PostgreSQL backends connected to `database`: with update_process_title (on by default on Linux)
 * their command line reads `postgres: <user> <database> <client> <activity>`.
 */
function backendsOf(database: string): string[] {
  const pids: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.startsWith('postgres: ') && cmdline.split(' ').includes(database)) pids.push(entry);
  }
  return pids;
}

export interface CpuUse {
  wallS: number;
  serverS: number | null;
  /** Backends of the benchmark's database (0 with PGlite). Backends that come and go are followed by sampling. */
  postgresS: number;
  /** This benchmark process: upload, polling, GET /logs during ingest, sampling. */
  benchClientS: number;
  /** Busy CPU of the machine not accounted for above: other processes (the box is shared), the kernel. */
  restOfMachineS: number;
  /** (server + postgres) ÷ wall: 2.0 would mean both cores worked for the benchmarked service all along. */
  coresBusy: number | null;
}

/** Samples every 500 ms from construction to stop(); a backend's CPU counts from when it was first seen. */
export class CpuTracker {
  private readonly t0 = performance.now();
  private readonly machine0 = machineBusyS();
  private readonly server0: number | null;
  private readonly client0 = process.cpuUsage();
  /** pid → [CPU at first sight (0 if it appeared after the start), CPU at last sight]. */
  private readonly backends = new Map<string, [number, number]>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly serverPid: number,
    private readonly database: string | null,
  ) {
    this.server0 = processCpuS(serverPid);
    this.sampleBackends(true);
    this.timer = setInterval(() => this.sampleBackends(false), SAMPLE_MS);
    this.timer.unref();
  }

  private sampleBackends(atStart: boolean): void {
    if (this.database === null) return;
    for (const pid of backendsOf(this.database)) {
      const cpu = processCpuS(pid);
      if (cpu === null) continue;
      const seen = this.backends.get(pid);
      if (seen) seen[1] = cpu;
      else this.backends.set(pid, [atStart ? cpu : 0, cpu]);
    }
  }

  stop(): CpuUse {
    clearInterval(this.timer);
    this.sampleBackends(false);
    const r = (v: number): number => Math.round(v * 100) / 100;
    const wallS = (performance.now() - this.t0) / 1000;
    const server1 = processCpuS(this.serverPid);
    const serverS = this.server0 !== null && server1 !== null ? server1 - this.server0 : null;
    let postgresS = 0;
    for (const [first, last] of this.backends.values()) postgresS += last - first;
    const machineS = machineBusyS() - this.machine0;
    const client = process.cpuUsage(this.client0);
    const benchClientS = (client.user + client.system) / 1e6;
    return {
      wallS: r(wallS),
      serverS: serverS === null ? null : r(serverS),
      postgresS: r(postgresS),
      benchClientS: r(benchClientS),
      restOfMachineS: r(Math.max(0, machineS - (serverS ?? 0) - postgresS - benchClientS)),
      coresBusy: serverS === null || wallS <= 0 ? null : r((serverS + postgresS) / wallS),
    };
  }
}

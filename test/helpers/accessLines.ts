/**
 * An independent reading of combined-format access lines for the analytics filter suites: what each
 * line says (client, time, method, path, status, bytes), by one regular expression that shares no
 * code with src/parse, and the figures an analytics answer must equal, counted from those lines.
 */
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const LINE = /^(\S+) \S+ \S+ \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\] "([A-Z]+) ([^ "]+)[^"]*" (\d{3}) (\d+|-)/;

export interface AccessLine {
  source: string;
  raw: string;
  ip: string;
  timeMs: number;
  method: string;
  /** The request target without its query: each route of these files is such a path. */
  path: string;
  status: number;
  bytes: number;
  /** As the service levels an access line: 5xx ERROR, 4xx WARN, else INFO. */
  level: 'ERROR' | 'WARN' | 'INFO';
}

/** Every access line of a file's text (lines the expression does not read are left out). */
export function readAccessLines(source: string, text: string): AccessLine[] {
  const out: AccessLine[] = [];
  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw);
    if (!m) continue;
    const offsetMin = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
    const timeMs = Date.UTC(Number(m[4]), MONTHS[m[3]!], Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7])) - offsetMin * 60_000;
    const status = Number(m[13]);
    out.push({
      source, raw, ip: m[1]!, timeMs, method: m[11]!, path: m[12]!.split('?')[0]!, status, bytes: m[14] === '-' ? 0 : Number(m[14]),
      level: status >= 500 ? 'ERROR' : status >= 400 ? 'WARN' : 'INFO',
    });
  }
  return out;
}

export interface Expected {
  records: number;
  errors: number;
  clientErrors: number;
  bytes: number;
  clients: number;
  statusCodes: Record<string, number>;
  levels: Record<string, number>;
  first: string | null;
  last: string | null;
  /** Records per hour (epoch ms of the hour). */
  hourly: Map<number, { count: number; errors: number }>;
  /** Addresses by requests, busiest first, ties in byte order (as the API ranks them). */
  clientRanking: { client_ip: string; count: number }[];
}

function inc(o: Record<string, number>, k: string): void {
  o[k] = (o[k] ?? 0) + 1;
}

/** The figures of the lines (already filtered). */
export function expectedOf(lines: readonly AccessLine[]): Expected {
  const statusCodes: Record<string, number> = {};
  const levels: Record<string, number> = {};
  const hourly = new Map<number, { count: number; errors: number }>();
  const perClient = new Map<string, number>();
  let first = Infinity;
  let last = -Infinity;
  for (const l of lines) {
    inc(statusCodes, String(l.status));
    inc(levels, l.level);
    const h = Math.floor(l.timeMs / 3_600_000) * 3_600_000;
    const cell = hourly.get(h) ?? { count: 0, errors: 0 };
    cell.count++;
    if (l.status >= 500) cell.errors++;
    hourly.set(h, cell);
    perClient.set(l.ip, (perClient.get(l.ip) ?? 0) + 1);
    first = Math.min(first, l.timeMs);
    last = Math.max(last, l.timeMs);
  }
  const clientRanking = [...perClient.entries()].map(([client_ip, count]) => ({ client_ip, count }))
    .sort((a, b) => b.count - a.count || Buffer.compare(Buffer.from(a.client_ip), Buffer.from(b.client_ip)));
  return {
    records: lines.length,
    errors: lines.filter((l) => l.status >= 500).length,
    clientErrors: lines.filter((l) => l.status >= 400 && l.status < 500).length,
    bytes: lines.reduce((a, l) => a + l.bytes, 0),
    clients: perClient.size,
    statusCodes,
    levels,
    first: lines.length ? new Date(first).toISOString() : null,
    last: lines.length ? new Date(last).toISOString() : null,
    hourly,
    clientRanking,
  };
}

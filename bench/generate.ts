/**
 * Generates a realistic nginx access log in the `combined` format plus `$request_time` and
 * `$upstream_response_time` (the nginx_combined_timed preset): clients, routes with ids and hashes,
 * a status mix with bursts of 5xx, latencies with a long tail. Deterministic for a given seed.
 *
 *   node dist/bench/generate.js --lines 1000000 --out bench/out/access-1m.log
 */
import fs from 'node:fs';
import path from 'node:path';

/** mulberry32: a tiny, fast, seedable PRNG; enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'curl/8.5.0',
  'python-requests/2.32.3',
];
const REFERERS = ['-', 'https://example.com/', 'https://www.google.com/', 'https://example.com/products'];

export interface GenerateOptions {
  lines: number;
  seed?: number;
  /** Event time of the first line, epoch ms. */
  startMs?: number;
  /** Mean gap between requests in ms (sets how many days the file spans). */
  stepMs?: number;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** nginx's $time_local of an instant, in UTC: `07/Dec/2026:01:31:13 +0000`. */
export function timeLocal(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** Yields the file in chunks of lines (each chunk a string ending in a newline). */
export function* generateNginxTimed(opts: GenerateOptions): Generator<string> {
  const rnd = prng(opts.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let ms = opts.startMs ?? Date.UTC(2026, 9, 1);
  const step = opts.stepMs ?? 250;
  let chunk: string[] = [];
  for (let i = 1; i <= opts.lines; i++) {
    ms += Math.floor(rnd() * 2 * step);
    const ip = `${10 + Math.floor(rnd() * 200)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
    const r = rnd();
    const route =
      r < 0.3 ? `/api/users/${Math.floor(rnd() * 100000)}` :
      r < 0.5 ? `/api/orders/${Math.floor(rnd() * 0xffffffff).toString(16)}/items` :
      r < 0.7 ? `/static/app.${Math.floor(rnd() * 20)}.js` :
      r < 0.85 ? `/search?q=term${Math.floor(rnd() * 5000)}&page=${1 + Math.floor(rnd() * 9)}` :
      r < 0.95 ? '/' : `/health`;
    const method = rnd() < 0.85 ? 'GET' : rnd() < 0.7 ? 'POST' : 'PUT';
    // A burst of errors every ~50k requests, otherwise a low background rate.
    const burst = i % 50_000 < 600;
    const s = rnd();
    const status = burst && s < 0.6 ? 500 + Math.floor(rnd() * 4) : s < 0.002 ? 500 : s < 0.03 ? 404 : s < 0.05 ? 304 : s < 0.06 ? 301 : 200;
    const bytes = status === 304 ? 0 : Math.floor(200 + rnd() * 20000);
    const latency = (0.001 + -Math.log(1 - rnd()) * (burst ? 0.8 : 0.05)).toFixed(3);
    const upstream = route.startsWith('/static') ? '-' : (Number(latency) * 0.9).toFixed(3);
    chunk.push(
      `${ip} - - [${timeLocal(ms)}] "${method} ${route} HTTP/1.1" ${status} ${bytes} "${pick(REFERERS)}" "${pick(AGENTS)}" ${latency} ${upstream}\n`,
    );
    if (chunk.length === 10_000) {
      yield chunk.join('');
      chunk = [];
    }
  }
  if (chunk.length) yield chunk.join('');
}

export function writeGeneratedLog(file: string, opts: GenerateOptions): { lines: number; bytes: number } {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  try {
    for (const chunk of generateNginxTimed(opts)) bytes += fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  return { lines: opts.lines, bytes };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const arg = (name: string, fallback: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
  };
  const lines = Number(arg('lines', '1000000'));
  const out = arg('out', `bench/out/access-${lines}.log`);
  const res = writeGeneratedLog(out, { lines, seed: Number(arg('seed', '42')) });
  console.log(`wrote ${res.lines} lines, ${res.bytes} bytes to ${out}`);
}

/**
 * What happened on each request of a generated access log, before any server writes it down: the
 * facts every format of bench/formatDefinitions.ts renders from (bench/formatCorpus.ts). Seeded, so a
 * failure replays. The values are meant to look like production traffic, including the awkward parts:
 * log-normal latencies from 0 ms to 30 s, 304s with no body, user agents with quotes inside or none
 * at all, IPv6 clients, upstream retries (`0.001, 0.002 : 0.003`) and requests that never reached one.
 */
import { prng } from './generate.js';

/** One upstream attempt (nginx logs each: `$upstream_addr` `10.0.0.12:8080, 10.0.0.13:8080 : …`). */
export interface UpstreamTry {
  addr: string;
  status: number;
  /** nginx keeps upstream times in whole milliseconds. */
  connectMs: number;
  headerMs: number;
  responseMs: number;
  length: number;
}

export interface Request {
  /** Epoch seconds of the logged time: every format here logs whole seconds. */
  timeSec: number;
  /** The server's UTC offset as `$time_local` / `%t` write it, e.g. `+0530`. */
  tz: string;
  client: string;
  user: string | null;
  method: string;
  /** The path as sent, without the query. */
  path: string;
  query: string | null;
  protocol: string;
  status: number;
  bodyBytes: number;
  headerBytes: number;
  requestBytes: number;
  /** The request's true duration; each format writes it in its own unit and resolution. */
  durationUs: number;
  /** Upstream attempts in groups (`, ` between tries, ` : ` between groups after an internal redirect); null: none. */
  upstream: UpstreamTry[][] | null;
  cacheStatus: string | null;
  referer: string | null;
  userAgent: string | null;
  forwardedFor: string | null;
  host: string;
  port: number;
  pipelined: boolean;
  /** Requests served since the server started (Traefik's `<requests>` field). */
  seq: number;
  reqId: string;
}

export const TIME_ZONES = ['+0000', '-0700', '+0530'] as const;

const USER_AGENTS: readonly (string | null)[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'curl/8.5.0',
  'Go-http-client/1.1',
  'python-requests/2.32.3',
  'Mozilla/5.0 (compatible; "Quoted" Bot/1.0; +https://bot.example/)',
  '"curl/7.68.0"',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 YaBrowser/24.1 Яндекс',
  null,
];
const REFERERS = ['https://www.google.com/', 'https://example.com/products?id=12&ref=nav', 'android-app://com.google.android.gm/'];
const HOSTS = ['example.com', 'api.example.com', 'www.example.org', 'shop.example.net'];
const CACHE = ['MISS', 'HIT', 'EXPIRED', 'BYPASS'];
const STATUSES: readonly [number, number][] = [
  [200, 780], [201, 20], [204, 20], [301, 20], [302, 20], [304, 40], [400, 10], [401, 10], [403, 10],
  [404, 30], [499, 5], [500, 10], [502, 5], [503, 5], [504, 5],
];
const METHODS: readonly [string, number][] = [['GET', 800], ['POST', 100], ['HEAD', 30], ['PUT', 30], ['DELETE', 20], ['OPTIONS', 10], ['PATCH', 10]];
const MAX_US = 30_000_000;

export function sampleRequests(count: number, seed: number): Request[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const weighted = <T>(xs: readonly [T, number][]): T => {
    let r = rnd() * xs.reduce((s, [, w]) => s + w, 0);
    for (const [x, w] of xs) if ((r -= w) < 0) return x;
    return xs[0]![0];
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const tz = pick(TIME_ZONES);
  let timeSec = Date.UTC(2026, 2, 8, 6, 0, 0) / 1000 + int(0, 86_400);
  const out: Request[] = [];
  for (let i = 0; i < count; i++) {
    timeSec += int(0, 3);
    const [path, query, probe, slow] = samplePath(rnd, int);
    const method = probe ? 'GET' : weighted(METHODS);
    const status = probe ? 200 : weighted(STATUSES);
    // Log-normal around 25 ms, a slow endpoint around 2 s, a few requests under a millisecond logged as 0.
    const durationUs = rnd() < 0.02 ? int(0, 900) : Math.min(MAX_US, Math.max(200, Math.round(Math.exp(Math.log(slow ? 2e6 : 25e3) + 1.6 * normal()))));
    const bodyBytes = status === 304 || status === 204 || method === 'HEAD' ? 0 : Math.round(Math.exp(Math.log(100) + rnd() * Math.log(20_000)));
    const ipv6 = rnd() < 0.15;
    out.push({
      timeSec, tz,
      client: ipv6 ? `2001:db8:${int(1, 0xffff).toString(16)}::${int(1, 0xffff).toString(16)}` : `${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`,
      user: rnd() < 0.03 ? pick(['alice', 'deploy-bot']) : null,
      method, path, query,
      protocol: probe ? 'HTTP/1.1' : weighted([['HTTP/1.1', 70], ['HTTP/2.0', 25], ['HTTP/1.0', 5]]),
      status, bodyBytes,
      headerBytes: int(150, 600),
      requestBytes: method === 'POST' || method === 'PUT' ? int(400, 20_000) : int(80, 900),
      durationUs,
      upstream: path.startsWith('/static/') || status === 301 ? null : sampleUpstream(Math.floor(durationUs / 1000), status, rnd, int),
      cacheStatus: rnd() < 0.5 ? null : pick(CACHE),
      referer: rnd() < 0.5 ? null : pick(REFERERS),
      userAgent: probe ? 'kube-probe/1.30' : pick(USER_AGENTS),
      forwardedFor: rnd() < 0.6 ? null : rnd() < 0.5 ? '203.0.113.7' : '203.0.113.7, 10.0.0.2',
      host: pick(HOSTS),
      port: rnd() < 0.8 ? 443 : 80,
      pipelined: rnd() < 0.02,
      seq: 1000 + i,
      reqId: Array.from({ length: 4 }, () => Math.floor(rnd() * 2 ** 32).toString(16).padStart(8, '0')).join(''),
    });
  }
  return out;
}

/** [path, query, is a kube-probe, is the slow endpoint] */
function samplePath(rnd: () => number, int: (lo: number, hi: number) => number): [string, string | null, boolean, boolean] {
  const r = rnd();
  const q = (s: string): string | null => (rnd() < 0.5 ? s : null);
  if (r < 0.25) return [`/api/v1/users/${int(1, 99_999)}`, q('fields=name,email'), false, false];
  if (r < 0.4) return [`/api/v1/orders/${int(0, 2 ** 31).toString(16)}/items`, q('page=2&sort=desc'), false, false];
  if (r < 0.55) return [`/static/app.${int(0, 0xffffff).toString(16)}.js`, null, false, false];
  if (r < 0.65) return ['/search', `q=caf%C3%A9+au+lait&page=${int(1, 9)}`, false, false];
  if (r < 0.72) return ['/healthz', null, true, false];
  if (r < 0.77) return ['/api/reports/export', q('format=csv'), false, true];
  if (r < 0.82) return ['/files/r%C3%A9sum%C3%A9.pdf', null, false, false];
  if (r < 0.86) return ['/wp-login.php', null, false, false];
  if (r < 0.9) return ['/favicon.ico', null, false, false];
  return ['/', q('utm_source=newsletter'), false, false];
}

/** Upstream attempts whose times add up to no more than the request's: mostly one, sometimes a retry or a redirect. */
function sampleUpstream(totalMs: number, status: number, rnd: () => number, int: (lo: number, hi: number) => number): UpstreamTry[][] {
  const r = rnd();
  const shape = r < 0.9 ? [1] : r < 0.97 ? [2] : [2, 1];
  const tries = shape.reduce((a, b) => a + b, 0);
  let budget = Math.floor(totalMs * (0.8 + 0.2 * rnd()));
  let k = 0;
  return shape.map((n) =>
    Array.from({ length: n }, () => {
      const last = ++k === tries;
      const responseMs = last ? budget : Math.floor(budget * rnd() * 0.3);
      budget -= responseMs;
      const connectMs = Math.floor(responseMs * rnd() * 0.1);
      return {
        addr: `10.0.${int(0, 3)}.${int(2, 40)}:8080`,
        status: last ? status : 502,
        connectMs,
        headerMs: connectMs + Math.floor((responseMs - connectMs) * rnd()),
        responseMs,
        length: int(0, 50_000),
      };
    }),
  );
}

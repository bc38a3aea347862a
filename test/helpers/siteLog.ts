/**
 * Access logs generated for the API, tail and browser suites, so that they run on any clone: the shape
 * of the real logs in ../shared/data (a small site's Apache combined log, and one full of probes), not
 * their lines. Deterministic for a seed; the real files keep their own suites (test/sharedData.int.test.ts
 * and the parser tests).
 *
 * What the suites rely on, and which the generator guarantees rather than leaves to chance:
 * - every line is Apache/nginx `combined`, read by test/helpers/logFiles.ts's readCombined;
 * - statuses 200, 206, 301, 304, 403, 404, 416 and exactly three 500s: two on /misc/Title.php.txt,
 *   one on /projects/xdotool/ (at lines 2,001, 5,001 and 7,001 of a 10,000-line site log);
 * - paths with an `_`, a `%20`, `/presentations/…` (some of them 404) and `/favicon.ico`; Googlebot among the agents;
 *   `-` for the bytes of a 304; a user agent with an escaped quote;
 * - traffic that rises and falls over the day, so charts have a shape.
 */
import { prng } from '../../bench/generate.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

export interface SiteLogOptions {
  lines: number;
  seed: number;
  /** Event time of the first line, epoch ms. */
  startMs: number;
  /** About how long the file spans (the last line lands within a few percent of it). */
  spanMs: number;
  /** The zone the times are written in, as `+0100`; default `+0000`. */
  zone?: string;
  /** Which requests: a small site's pages and assets, or a site under a scan for weak spots. */
  profile: 'site' | 'probes';
}

interface Request {
  method: string;
  path: string;
  /** Status for this request, given a draw in [0, 1). */
  status: (r: number) => number;
  weight: number;
}

const ok = (): number => 200;
/** Static files: a conditional GET answers 304 about one time in twelve. */
const cached = (r: number): number => (r < 0.08 ? 304 : 200);
const missing = (): number => 404;

const SITE: Request[] = [
  ...['kibana-search.png', 'kibana-dashboard.png', 'logstash-logo.png', 'redis-queue.png'].map((f) => ({
    method: 'GET', path: `/presentations/logstash-monitorama-2013/images/${f}`, status: cached, weight: 4,
  })),
  { method: 'GET', path: '/presentations/logstash-monitorama-2013/plugin/zoom-js/zoom.js', status: cached, weight: 3 },
  { method: 'GET', path: '/presentations/logstash-monitorama-2013/', status: ok, weight: 2 },
  { method: 'GET', path: '/images/jordan-80.png', status: cached, weight: 8 },
  { method: 'GET', path: '/images/web/2009/banner.png', status: cached, weight: 6 },
  { method: 'GET', path: '/favicon.ico', status: cached, weight: 6 },
  { method: 'GET', path: '/style2.css', status: cached, weight: 5 },
  { method: 'GET', path: '/reset.css', status: cached, weight: 5 },
  { method: 'GET', path: '/', status: ok, weight: 4 },
  { method: 'GET', path: '/?flav=rss20', status: ok, weight: 3 },
  { method: 'GET', path: '/blog/tags/puppet?flav=rss20', status: ok, weight: 4 },
  { method: 'GET', path: '/blog/geekery/disabling_battery_in_ubuntu_vms.html', status: ok, weight: 2 },
  { method: 'GET', path: '/blog/geekery/xvfb-firefox.html', status: ok, weight: 2 },
  { method: 'GET', path: '/articles/dynamic-dns-with-dhcp/', status: ok, weight: 2 },
  { method: 'GET', path: '/articles/dynamic-dns-with-dhcp', status: () => 301, weight: 1 },
  { method: 'GET', path: '/projects/xdotool/', status: ok, weight: 3 },
  { method: 'GET', path: '/projects/xdotool/xdotool.xhtml', status: ok, weight: 1 },
  { method: 'GET', path: '/misc/Title.php.txt', status: ok, weight: 1 },
  { method: 'GET', path: '/misc/hosts.txt', status: ok, weight: 0.5 },
  { method: 'GET', path: '/search?q=log%20analysis&page=1', status: ok, weight: 0.5 },
  // Large downloads: resumed (206), sometimes past the end (416).
  { method: 'GET', path: '/files/logstash/logstash-1.3.2-monolithic.jar', status: (r) => (r < 0.3 ? 206 : r < 0.33 ? 416 : 200), weight: 1.5 },
  { method: 'GET', path: '/robots.txt', status: ok, weight: 2 },
  { method: 'HEAD', path: '/', status: ok, weight: 0.5 },
  { method: 'GET', path: '/.git/config', status: () => 403, weight: 0.05 },
  ...['/wp-login.php', '/apple-touch-icon.png', '/blog/geekery/old-post.html', '/images/missing.gif', '/presentations/logstash-puppetconf-2012/'].map((path) => ({
    method: 'GET', path, status: missing, weight: 0.55,
  })),
];

const PROBES: Request[] = [
  { method: 'GET', path: '/linux/doing-pxe-without-dhcp-control', status: ok, weight: 4 },
  { method: 'GET', path: '/join_form', status: ok, weight: 6 },
  { method: 'POST', path: '/join_form', status: (r) => (r < 0.7 ? 302 : 200), weight: 5 },
  { method: 'GET', path: '/login_form', status: ok, weight: 5 },
  { method: 'POST', path: '/login_form', status: (r) => (r < 0.9 ? 200 : 302), weight: 5 },
  { method: 'GET', path: '/', status: ok, weight: 3 },
  ...['/wp-login.php', '/xmlrpc.php', '/phpmyadmin/index.php', '/.env', '/cgi-bin/test-cgi', '/admin/config.php'].map((path) => ({
    method: 'GET', path, status: missing, weight: 1,
  })),
  { method: 'POST', path: '/xmlrpc.php', status: () => 405, weight: 0.5 },
];

const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.107 Safari/537.36',
  'Mozilla/5.0 (Windows NT 6.1; WOW64; rv:27.0) Gecko/20100101 Firefox/27.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.73.11 (KHTML, like Gecko) Version/7.0.1 Safari/537.73.11',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'Tiny Tiny RSS/1.11 (http://tt-rss.org/)',
  'curl/7.35.0',
  'Mozilla/5.0 (compatible; \\"Spinn3r\\" crawler; +http://spinn3r.com/robot)',
];
const REFERERS = ['-', '-', '-', 'http://semicomplete.com/', 'https://www.google.com/', 'http://semicomplete.com/presentations/logstash-monitorama-2013/'];

/** The known 500s of a site log: line number (1-based) → path. */
const SITE_ERRORS = new Map([[2001, '/misc/Title.php.txt'], [5001, '/misc/Title.php.txt'], [7001, '/projects/xdotool/']]);

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `%d/%b/%Y:%H:%M:%S %z` for the instant `ms`, written in `zone`. */
function apacheTime(ms: number, zone: string): string {
  const offsetMin = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
  const d = new Date(ms + offsetMin * 60_000);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${zone}`;
}

/** Picks an entry by weight. */
function weighted(table: Request[], r: number): Request {
  const total = table.reduce((s, x) => s + x.weight, 0);
  let left = r * total;
  for (const x of table) if ((left -= x.weight) < 0) return x;
  return table[table.length - 1]!;
}

/** The file's text, newline-terminated. */
export function siteLog(opts: SiteLogOptions): string {
  const rnd = prng(opts.seed);
  const zone = opts.zone ?? '+0000';
  const table = opts.profile === 'site' ? SITE : PROBES;
  // A few hundred regular visitors make most requests; the rest come from addresses seen once or twice.
  const regulars = Array.from({ length: 300 }, (_, i) =>
    i % 25 === 0 ? `2001:db8:${(i * 37).toString(16)}::${i + 1}` : `${50 + Math.floor(rnd() * 170)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`);
  // Exponential gaps at a rate that follows the hour of day (busiest mid-afternoon UTC), scaled so that
  // `lines` requests fill about `spanMs`.
  const meanGapMs = opts.spanMs / opts.lines;
  const rate = (ms: number): number => 1 + 0.6 * Math.sin((2 * Math.PI * ((ms % DAY_MS) / DAY_MS)) - Math.PI / 2);
  const out: string[] = [];
  let ms = opts.startMs;
  for (let n = 1; n <= opts.lines; n++) {
    if (n > 1) ms += Math.round((-Math.log(1 - rnd()) * meanGapMs) / rate(ms));
    const ip = rnd() < 0.85 ? regulars[Math.floor(rnd() ** 2 * regulars.length)]! : `${1 + Math.floor(rnd() * 222)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
    const forced = opts.profile === 'site' ? SITE_ERRORS.get(n) : undefined;
    const req = forced ? { method: 'GET', path: forced, status: () => 500, weight: 0 } : weighted(table, rnd());
    const status = req.status(rnd());
    const bytes = status === 304 ? '-' : String(status >= 400 ? 200 + Math.floor(rnd() * 300) : 300 + Math.floor(rnd() * 60_000));
    const agent = AGENTS[Math.floor(rnd() * AGENTS.length)]!;
    const referer = REFERERS[Math.floor(rnd() * REFERERS.length)]!;
    out.push(`${ip} - - [${apacheTime(ms, zone)}] "${req.method} ${req.path} HTTP/1.1" ${status} ${bytes} "${referer}" "${agent}"`);
  }
  return `${out.join('\n')}\n`;
}

/** A small site's four days, 17–20 May 2015 (UTC): 10,000 lines, the stand-in for the suites' "Apache log". */
export const SITE_LOG_OPTIONS: SiteLogOptions = {
  lines: 10_000, seed: 2015, startMs: Date.UTC(2015, 4, 17, 10, 5, 3), spanMs: 3 * DAY_MS + 11 * 3_600_000, profile: 'site',
};
/** Six days of a site being probed, 25–30 October 2015, written at +0100: 3,456 lines. */
export const PROBE_LOG_OPTIONS: SiteLogOptions = {
  lines: 3456, seed: 1025, startMs: Date.UTC(2015, 9, 25, 3, 11, 25), spanMs: 5 * DAY_MS + 12 * 3_600_000, zone: '+0100', profile: 'probes',
};

let siteText: string | undefined;
let probeText: string | undefined;
/** The site log (SITE_LOG_OPTIONS), generated once per test file. */
export function siteAccessLog(): string {
  return (siteText ??= siteLog(SITE_LOG_OPTIONS));
}
/** The probe log (PROBE_LOG_OPTIONS), generated once per test file. */
export function probeAccessLog(): string {
  return (probeText ??= siteLog(PROBE_LOG_OPTIONS));
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '../domain/record.js';
import { createRecordParser } from './index.js';
import { jsonAccessFromSample, JSON_REJECTIONS, type JsonAccessDetection } from './jsonAccess.js';
import {
  caddyLine, expected, INGRESS_NGINX_JSON, ms3, NGINX_JSON_COMBINED, NGINX_JSON_ISO_UPSTREAM, nginxVars, renderNginx, traefikLine, truths,
  type Truth,
} from './jsonLayouts.testData.js';
import { newFailure } from './lineFormat.js';

function detect(lines: readonly string[]): JsonAccessDetection {
  const d = jsonAccessFromSample(lines);
  if (d === null) throw new Error('not detected as JSON access records');
  return d;
}

function parse(d: JsonAccessDetection, line: string): LogRecord {
  const fail = newFailure();
  const rec = d.format.parseLine(line, fail);
  if (rec === null) throw new Error(`${fail.code}: ${fail.detail}`);
  return rec;
}

function rejection(d: JsonAccessDetection, line: string): { code: string; detail: string; implausible: boolean } {
  const fail = newFailure();
  expect(d.format.parseLine(line, fail)).toBeNull();
  return { code: fail.code, detail: fail.detail, implausible: fail.implausible };
}

/** Every record field by field; timestamps to the microsecond (Traefik logs nanoseconds). */
function expectRecords(d: JsonAccessDetection, lines: readonly string[], want: readonly LogRecord[]): void {
  lines.forEach((line, i) => {
    const got = parse(d, line);
    const w = want[i]!;
    expect(got.timestamp, `line ${i + 1} timestamp`).toBeCloseTo(w.timestamp, 3);
    expect({ ...got, timestamp: 0 }, `line ${i + 1}`).toEqual({ ...w, timestamp: 0 });
  });
}

/** A layout: its lines and truth, generated from one seed. */
function generated(seed: number, wholeSeconds: boolean, line: (t: Truth) => string): { ts: Truth[]; lines: string[] } {
  const ts = truths(36, seed, wholeSeconds);
  return { ts, lines: ts.map(line) };
}

describe('JSON access logs from their official definitions', () => {
  it('nginx json_combined (escape=json, $time_local at +05:30, quoted numbers)', () => {
    const { ts, lines } = generated(1, true, (t) => renderNginx(NGINX_JSON_COMBINED, nginxVars(t, 330)));
    const d = detect(lines);
    expect(d.format.name).toBe('json');
    expect(d.confidence).toBe('high');
    expect(d.warning).toBeNull();
    expect(d.mapping).toMatchObject({ timestamp: 'time_local', latencyMs: 'request_time (s, nginx $request_time)', clientIp: 'remote_addr', referer: 'http_referrer' });
    expectRecords(d, lines, ts.map((t) => expected(t, ms3(t.durationNs), { host: null })));
  });

  it('nginx $time_iso8601 + $request_method/$request_uri + $upstream_response_time lists (summed)', () => {
    const { ts, lines } = generated(2, true, (t) => renderNginx(NGINX_JSON_ISO_UPSTREAM, nginxVars(t, -300)));
    expect(ts.some((t) => t.upstreamNs.length > 1)).toBe(true);
    const d = detect(lines);
    expect(d.mapping).toMatchObject({ method: 'request_method', endpoint: 'request_uri (without the query)', latencyMs: 'upstream_response_time (s, a list summed (nginx))' });
    expectRecords(d, lines, ts.map((t) => expected(t, t.upstreamNs.reduce((a, ns) => a + ms3(ns), 0), { referer: null })));
  });

  it("ingress-nginx's documented JSON (empty $proxy_protocol_addr: the client is X-Forwarded-For's first)", () => {
    const { ts, lines } = generated(3, true, (t) => renderNginx(INGRESS_NGINX_JSON, nginxVars(t, 0)));
    const d = detect(lines);
    expect(d.mapping).toMatchObject({ timestamp: 'time', clientIp: 'remote_addr, else x_forwarded_for (leftmost)', host: 'vhost (without the port)', bytesSent: 'bytes_sent' });
    expect(d.mapping.message).toBe('method path?request_query request_proto, else the whole line');
    expectRecords(d, lines, ts.map((t) => expected(t, ms3(t.durationNs))));
  });

  it("Caddy's default access log (epoch ts, request object, header arrays, duration in float seconds)", () => {
    const { ts, lines } = generated(4, false, caddyLine);
    const d = detect(lines);
    expect(d.confidence).toBe('high');
    expect(d.mapping).toMatchObject({ timestamp: 'ts (epoch s)', clientIp: 'request.client_ip', userAgent: 'request.headers.User-Agent', latencyMs: 'duration (s, Caddy)' });
    expectRecords(d, lines, ts.map((t) => expected(t, t.durationNs / 1e6)));
  });

  it("Traefik's JSON access log (StartUTC to the ns, Duration in ns, Downstream* fields)", () => {
    const { ts, lines } = generated(5, false, traefikLine);
    const d = detect(lines);
    expect(d.confidence).toBe('high');
    expect(d.mapping).toMatchObject({ timestamp: 'StartUTC', statusCode: 'DownstreamStatus', latencyMs: 'Duration (ns, Traefik)', bytesSent: 'DownstreamContentSize', userAgent: 'request_User-Agent' });
    expectRecords(d, lines, ts.map((t) => expected(t, t.durationNs / 1e6)));
  });
});

const combined = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({ time_local: '10/Mar/2024:06:00:01 +0000', remote_addr: '203.0.113.9', request: 'GET /a?b=1 HTTP/1.1', status: '200', body_bytes_sent: '512', request_time: '0.042', http_referer: '-', http_user_agent: 'curl/8.5.0', ...over });
const nginxCombined = detect([combined()]);

describe('format=auto picks JSON access records among the layouts', () => {
  it.each([
    ['nginx json_combined', generated(1, true, (t) => renderNginx(NGINX_JSON_COMBINED, nginxVars(t, 330))).lines],
    ['nginx iso + upstream', generated(2, true, (t) => renderNginx(NGINX_JSON_ISO_UPSTREAM, nginxVars(t, -300))).lines],
    ['ingress-nginx', generated(3, true, (t) => renderNginx(INGRESS_NGINX_JSON, nginxVars(t, 0))).lines],
    ['Caddy', generated(4, false, caddyLine).lines],
    ['Traefik', generated(5, false, traefikLine).lines],
  ])('%s: detected as json, every line read as the JSON format reads it', (_name, lines) => {
    const auto = createRecordParser({ format: 'auto' }, lines);
    expect(auto.detection).toMatchObject({ format: 'json', confidence: 'high', layouts: [{ name: 'json', lines: lines.length }] });
    const d = detect(lines);
    for (const line of lines) expect(auto.parse(line)).toEqual({ ok: true, record: { ...parse(d, line), layout: 'json' } });
  });
});

describe('JSON access lines: values', () => {
  it('undoes JSON escapes, and nginx escape=default / Apache \\xNN escapes (not JSON) as a layout does', () => {
    expect(parse(nginxCombined, combined({ http_user_agent: 'Bot "q" \\ caf\u00e9' })).userAgent).toBe('Bot "q" \\ café');
    expect(parse(nginxCombined, '{"time_local":"10/Mar/2024:06:00:01 +0000","status":"200","request":"GET / HTTP/1.1","http_user_agent":"caf\\u00e9"}').userAgent).toBe('café');
    // escape=default: `"` → \x22, `\` → \x5C, UTF-8 bytes → \xNN; a control byte stays as its escape text.
    const line = '{"time_local":"10/Mar/2024:06:00:01 +0000","status":"200","request":"GET /caf\\xC3\\xA9 HTTP/1.1","http_user_agent":"Bot \\x22q\\x22 \\x5C x\\x01y"}';
    const rec = parse(nginxCombined, line);
    expect(rec.userAgent).toBe('Bot "q" \\ x\\x01y');
    expect(rec.endpoint).toBe('/café');
    // A literal backslash-x under escape=json is text, not an escape.
    expect(parse(nginxCombined, combined({ http_user_agent: '\\x22' })).userAgent).toBe('\\x22');
  });

  it('reads `-`, "" and missing keys as absent', () => {
    const rec = parse(nginxCombined, combined({ http_referer: '-', http_user_agent: '', request_time: '-', body_bytes_sent: undefined, remote_addr: undefined }));
    expect(rec).toMatchObject({ referer: null, userAgent: null, latencyMs: null, bytesSent: null, clientIp: null, statusCode: 200 });
  });

  it('keeps the message as logged; a record without a request keeps the whole line', () => {
    expect(parse(nginxCombined, combined({ request: 'GET /a?b=1 HTTP/1.1' })).message).toBe('GET /a?b=1 HTTP/1.1');
    const bare = combined({ request: undefined });
    expect(parse(nginxCombined, bare)).toMatchObject({ message: bare, method: null, endpoint: null, statusCode: 200 });
  });

  it('applies the layouts\' key-field bounds: a junk method, an over-long client or host', () => {
    const parts = detect([JSON.stringify({ time: '2024-03-10T06:00:01Z', status: 200, method: 'GET', uri: '/x', protocol: 'HTTP/1.1', host: 'a.example' })]);
    const junk = parse(parts, JSON.stringify({ time: '2024-03-10T06:00:01Z', status: 400, method: 'X'.repeat(40), uri: '/x', protocol: 'HTTP/1.1' }));
    expect(junk).toMatchObject({ method: null, endpoint: null, protocol: null, message: `${'X'.repeat(40)} /x HTTP/1.1` });
    expect(parse(nginxCombined, combined({ remote_addr: '1'.repeat(300) })).clientIp).toBeNull();
    expect(parse(parts, JSON.stringify({ time: '2024-03-10T06:00:01Z', status: 200, host: `${'h'.repeat(300)}.example` })).host).toBeNull();
  });

  it('rejects implausible durations and sizes as final, naming the key', () => {
    const slow = rejection(nginxCombined, combined({ request_time: '999999999999' }));
    expect(slow).toEqual({ code: 'implausible_value', detail: 'request_time 999999999999 s (over 30 days)', implausible: true });
    const huge = rejection(nginxCombined, combined({ body_bytes_sent: String(2 ** 51) }));
    expect(huge.implausible).toBe(true);
    expect(huge).toMatchObject({ code: 'implausible_value', detail: expect.stringMatching(/^body_bytes_sent /) as unknown });
    expect(parse(nginxCombined, combined({ request_time: '2592000.000' })).latencyMs).toBe(2_592_000_000); // 30 days: still plausible
  });

  it('rejects with a fixed phrase, the key, and the value apart', () => {
    const codeAndDetail = (line: string) => {
      const r = rejection(nginxCombined, line);
      return [r.code, r.detail];
    };
    expect(codeAndDetail(combined({ time_local: 'yesterday' }))).toEqual([JSON_REJECTIONS.badTime.code, "time_local 'yesterday'"]);
    expect(codeAndDetail(combined({ time_local: undefined }))).toEqual(['no_timestamp', expect.stringMatching(/^missing \(time_local\): '\{"remote_addr/)]);
    expect(codeAndDetail(combined({ status: 'ok' }))).toEqual(['bad_status', "status 'ok'"]);
    expect(codeAndDetail(combined({ status: 200.5 }))).toEqual(['bad_status', "status '200.5'"]);
    expect(codeAndDetail(combined({ body_bytes_sent: -1 }))).toEqual(['bad_number', "body_bytes_sent '-1'"]);
    expect(codeAndDetail(combined({ request_time: { s: 1 } }))).toEqual(['bad_number', "request_time '(an object)'"]);
    expect(codeAndDetail('127.0.0.1 - - [10/Mar/2024:06:00:01 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'))
      .toEqual(['not_json', expect.stringMatching(/^not a JSON object: '127\.0\.0\.1/)]);
    expect(codeAndDetail('{"time_local": "10/Mar/2024:06:00:01 +0000", "status": 20')).toEqual(['not_json', expect.stringMatching(/^malformed JSON: /)]);
    expect(codeAndDetail('["not", "an object"]')).toEqual(['not_json', expect.stringMatching(/^not a JSON object/)]);
  });

  it('reads epoch times in s, ms, µs and ns (by magnitude), as numbers or strings like "$msec"', () => {
    const d = detect([JSON.stringify({ msec: '1710050401.123', status: 200, request: 'GET / HTTP/1.1' })]);
    expect(d.mapping.timestamp).toBe('msec (epoch s)');
    const at = (json: string): number => parse(d, `{"msec":${json},"status":200}`).timestamp;
    expect(['"1710050401.123"', '1710050401123', '1710050401123456', '1710050401123456789'].map(at)).toEqual([1710050401123, 1710050401123, 1710050401123.456, 1710050401123.457]);
    expect(rejection(d, JSON.stringify({ msec: 42, status: 200 }))).toMatchObject({ code: 'bad_timestamp', detail: "msec '42'" });
  });

  it('unwraps Docker json-file lines holding a JSON record', () => {
    const docker = (inner: string): string => JSON.stringify({ log: `${inner}\n`, stream: 'stdout', time: '2024-03-10T06:00:09.5Z' });
    const lines = [docker(combined()), docker(combined({ status: '404' }))];
    const d = detect(lines);
    expect(d.mapping.record).toMatch(/^log \(Docker/);
    expect(parse(d, lines[1]!)).toMatchObject({ statusCode: 404, level: 'WARN', timestamp: Date.parse('2024-03-10T06:00:01Z'), latencyMs: 42 });
    expect(rejection(d, docker('plain text'))).toMatchObject({ code: 'not_json', detail: expect.stringMatching(/^not a JSON object: 'plain text'/) as unknown });
  });
});

describe('JSON access detection', () => {
  it('is null for plain layouts, for JSON that is not access records, and when under half the lines qualify', () => {
    expect(jsonAccessFromSample(['127.0.0.1 - - [10/Mar/2024:06:00:01 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'])).toBeNull();
    expect(jsonAccessFromSample([JSON.stringify({ level: 'info', msg: 'started', time: '2024-03-10T06:00:01Z' })])).toBeNull();
    expect(jsonAccessFromSample([JSON.stringify({ status: 200, request: 'GET / HTTP/1.1' })])).toBeNull(); // no time
    expect(jsonAccessFromSample([combined(), 'plain', 'text'])).toBeNull();
    expect(jsonAccessFromSample([])).toBeNull();
  });

  it('tolerates a non-JSON line in a JSON file (rejected with its reason, the rest parsed)', () => {
    const lines = [combined(), 'nginx: [warn] could not build optimal types_hash', combined({ status: '500' })];
    const d = detect(lines);
    expect(rejection(d, lines[1]!)).toMatchObject({ code: 'not_json', detail: expect.stringMatching(/^not a JSON object/) as unknown });
    expect(parse(d, lines[2]!).level).toBe('ERROR');
  });

  it('takes the first key of the table the sample has a usable value for', () => {
    const d = detect([JSON.stringify({ status: 'ok', status_code: 201, '@timestamp': '2024-03-10T06:00:01.250Z', time: 'later', uri: '/x' })]);
    expect(d.mapping).toMatchObject({ statusCode: 'status_code', timestamp: '@timestamp' });
    expect(parse(d, JSON.stringify({ status: 'ok', status_code: 201, '@timestamp': '2024-03-10T06:00:01.250Z', uri: '/x' }))).toMatchObject({ statusCode: 201, timestamp: Date.parse('2024-03-10T06:00:01.250Z') });
  });

  it('matches keys case-insensitively and through nested objects', () => {
    const line = JSON.stringify({ Timestamp: '2024-03-10T06:00:01Z', Request: { Method: 'PUT', URI: '/items/9?x=1', Proto: 'HTTP/1.1', Host: 'a.example:80' }, Status_Code: '204' });
    expect(parse(detect([line]), line)).toMatchObject({ method: 'PUT', endpoint: '/items/9', protocol: 'HTTP/1.1', host: 'a.example', statusCode: 204, message: 'PUT /items/9?x=1 HTTP/1.1' });
  });
});

describe('JSON latency units', () => {
  const withDuration = (key: string, values: unknown[]): JsonAccessDetection =>
    detect(values.map((v, i) => JSON.stringify({ time: `2024-03-10T06:00:${String(i % 60).padStart(2, '0')}Z`, status: 200, uri: '/', [key]: v })));
  const latency = (d: JsonAccessDetection, key: string, v: unknown): number | null => parse(d, JSON.stringify({ time: '2024-03-10T06:00:00Z', status: 200, [key]: v })).latencyMs;

  it('takes the unit from a key suffix, whatever the values', () => {
    const d = withDuration('duration_ms', [3, 1, 2]);
    expect([d.confidence, d.mapping.latencyMs]).toEqual(['high', 'duration_ms (ms, from the key)']);
    expect(latency(d, 'duration_ms', 3)).toBe(3);
    const us = withDuration('latencyUs', [1500, 900]);
    expect(latency(us, 'latencyUs', 1500)).toBe(1.5);
  });

  it('reads Go duration strings by their own unit', () => {
    const d = withDuration('latency', ['12.5ms', '1.2s', '350µs', '1m2.5s']);
    expect(d.confidence).toBe('high');
    expect(['12.5ms', '1.2s', '350µs', '350us', '1m2.5s', '42ns'].map((v) => latency(d, 'latency', v))).toEqual([12.5, 1200, 0.35, 0.35, 62_500, 0.000042]);
    expect(rejection(d, JSON.stringify({ time: '2024-03-10T06:00:00Z', status: 200, latency: '12 parsecs' }))).toMatchObject({ code: 'bad_number', detail: "latency '12 parsecs'" });
  });

  it('decides a bare key from the values: sure when one reading is plausible', () => {
    const envoyLike = withDuration('duration', [12, 35, 80, 14, 220]); // ms, not 35 s or 35 µs typical
    expect([envoyLike.confidence, envoyLike.mapping.latencyMs]).toEqual(['high', 'duration (ms, from the values)']);
    const goNs = withDuration('response_time', [12_000_000, 48_000_000, 230_000_000]); // ns: 48 ms, not 48 s
    expect([goNs.confidence, latency(goNs, 'response_time', 48_000_000)]).toEqual(['high', 48]);
    const zapSeconds = withDuration('latency', [0.000412, 0.0021, 0.00093, 0.0154, 0.0008, 0.0031, 0.00067, 0.0012]); // s: about 1 ms, not 1 µs
    expect([zapSeconds.confidence, latency(zapSeconds, 'latency', 0.0021)]).toEqual(['high', 2.1]);
  });

  it('says so when the values do not settle it (low confidence and a warning naming both readings)', () => {
    const small = withDuration('duration', [3, 1, 4, 2]);
    expect(small.confidence).toBe('low');
    expect(small.warning).toBe("'duration' could be ms or s; read as ms (median 3 → 3 ms)");
    const floats = withDuration('elapsed_time', [0.2, 0.35]); // not a latency key: no latency at all
    expect(floats.mapping.latencyMs).toBeUndefined();
    const fractions = withDuration('latency', [0.2, 0.35]);
    expect([fractions.confidence, fractions.warning]).toEqual(['low', "'latency' could be s or ms; read as s (median 0.35 → 350 ms)"]);
    expect(withDuration('latency', [0.2, 0.35, 0.12, 0.4, 0.09]).confidence).toBe('high'); // more values settle it
    const zeros = withDuration('duration', [0, 0]);
    expect([zeros.confidence, zeros.warning]).toEqual(['low', "'duration' has no non-zero value in the sample to tell its unit; read as milliseconds"]);
  });

  it("doubts a producer's documented unit when the values contradict it (Caddy set to log nanoseconds)", () => {
    const lines = [929_675, 1_204_332, 2_500_100].map((ns, i) =>
      JSON.stringify({ ts: 1710050401 + i, logger: 'http.log.access', request: { method: 'GET', uri: '/', proto: 'HTTP/2.0' }, duration: ns, status: 200 }));
    const d = detect(lines);
    expect(d.confidence).toBe('low');
    expect(d.warning).toBe("'duration' does not look like Caddy s; read as ns (ns, from the values)");
    expect(parse(d, lines[0]!).latencyMs).toBe(0.929675);
  });

  it("reads Envoy/Istio's default JSON: duration in ms even for fast requests, the client without its port", () => {
    const istio = (ms: number, i: number): string => JSON.stringify({
      start_time: `2024-03-10T06:00:0${i}.125Z`, method: 'GET', path: '/productpage?u=1', protocol: 'HTTP/1.1', response_code: 200, response_flags: '-',
      bytes_received: 0, bytes_sent: 5183, duration: ms, upstream_service_time: String(ms), x_forwarded_for: '-', user_agent: 'curl/8.5.0',
      authority: 'bookinfo.example:9080', downstream_remote_address: '10.244.0.7:43152', upstream_host: '10.244.0.9:9080',
    });
    const lines = [3, 1, 2, 4].map(istio);
    const d = detect(lines);
    expect([d.confidence, d.mapping.latencyMs]).toEqual(['high', 'duration (ms, Envoy %DURATION%)']);
    expect(parse(d, lines[0]!)).toEqual({
      timestamp: Date.parse('2024-03-10T06:00:00.125Z'), level: 'INFO', statusCode: 200, method: 'GET', endpoint: '/productpage', protocol: 'HTTP/1.1',
      message: 'GET /productpage?u=1 HTTP/1.1', latencyMs: 3, clientIp: '10.244.0.7', bytesSent: 5183, userAgent: 'curl/8.5.0', referer: null, host: 'bookinfo.example', layout: null,
    });
  });

  it('keeps nginx $request_time in seconds even when every request is slow', () => {
    const d = withDuration('request_time', ['45.000', '60.001', '120.500']);
    expect([d.confidence, latency(d, 'request_time', '60.001')]).toEqual(['high', 60_001]);
    expect(latency(d, 'request_time', '0.0009296751')).toBe(0.929675); // past nine decimals: still read, to the ns
  });
});

describe('JSON access lines: hostile input', () => {
  it('refuses deep nesting in a long line in one pass, and reads deep but short lines', () => {
    const deep = `{"a":${'['.repeat(600_000)}${']'.repeat(600_000)}}`;
    expect(rejection(nginxCombined, deep)).toMatchObject({ code: 'not_json', detail: expect.stringMatching(/^JSON nested too deeply: /) as unknown });
    const nested = `{"x":${'{"y":'.repeat(200)}1${'}'.repeat(200)},${combined().substring(1)}`;
    expect(parse(nginxCombined, nested).statusCode).toBe(200);
    const longUa = parse(nginxCombined, combined({ http_user_agent: 'U'.repeat(1 << 20) }));
    expect(longUa.userAgent).toHaveLength(1 << 20);
  });

  it('never throws and gives a short reason for any text', () => {
    const fail = newFailure();
    const prefixes = ['', '{', '{"time_local":', combined().slice(0, 60)];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.string({ maxLength: 200 }), (prefix, tail) => {
        const rec = nginxCombined.format.parseLine(prefix + tail, fail);
        if (rec === null) expect(fail.detail.length).toBeLessThan(200);
      }),
      { numRuns: 300 },
    );
  });

  it('stores no NUL (PostgreSQL text refuses it): \\u0000 stays as its escape', () => {
    expect(parse(nginxCombined, combined({ http_user_agent: 'a\u0000b' })).userAgent).toBe('a\\u0000b');
  });
});

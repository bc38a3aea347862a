/**
 * Every rejection of the parse layer names a code of the fixed vocabulary (src/domain/rejection.ts),
 * with the code's phrase as its reason, and keeps what differs from line to line — the field or
 * literal, an excerpt of the value, the column — in its detail. The ingest layer's own codes
 * (line_too_long, time_*, refused_by_database) are tested in src/ingest.
 */
import { describe, expect, it } from 'vitest';
import { REJECTION_REASONS } from '../domain/rejection.js';
import { createRecordParser, type FormatRequest } from './index.js';

const LOG_FORMAT = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time $upstream_response_time';
const NGINX: FormatRequest = { format: 'nginx', logFormat: LOG_FORMAT };
const T = '[10/Oct/2026:13:55:36 +0000]';
/** A line of LOG_FORMAT with some fields replaced. */
const line = (f: { client?: string; user?: string; time?: string; status?: string; bytes?: string; rt?: string; urt?: string } = {}): string =>
  `${f.client ?? '10.0.0.1'} - ${f.user ?? '-'} ${f.time ?? T} "GET /a HTTP/1.1" ${f.status ?? '200'} ${f.bytes ?? '512'} ${f.rt ?? '0.005'} ${f.urt ?? '0.004'}`;
/** A layout that ends with a quoted field, after which more text is a field too many. */
const UA_LAST: FormatRequest = { format: 'nginx', logFormat: '$remote_addr [$time_local] "$request" $status "$http_user_agent"' };
const uaLine = `10.0.0.1 ${T} "GET /a HTTP/1.1" 200 "curl/8"`;
/** The 1-based column where `value` first occurs in `text`. */
const col = (text: string, value: string): number => text.indexOf(value) + 1;
const NGINX_ERROR: FormatRequest = { format: 'nginx_error' };
const APACHE_ERROR: FormatRequest = { format: 'apache_error' };

const rejection = (req: FormatRequest, text: string) => {
  const result = createRecordParser(req, []).parse(text);
  if (result.ok) throw new Error(`parsed: ${text}`);
  return result;
};

describe('each kind of bad line gets its code; the detail keeps the field, an excerpt of the value and the column', () => {
  it('the unchanged line parses (so each case below fails for its one change)', () => {
    expect(createRecordParser(NGINX, []).parse(line())).toMatchObject({ ok: true });
    expect(createRecordParser(UA_LAST, []).parse(uaLine)).toMatchObject({ ok: true });
  });

  it.each([
    [NGINX, '10.0.0.1', 'layout_mismatch', "custom: expected ' - ' after $remote_addr (column 1)"],
    [NGINX, line({ user: 'alice bob' }), 'layout_mismatch', `custom: $remote_user 'alice bob' is not one word (column ${col(line({ user: 'alice bob' }), 'alice')})`],
    [NGINX, line().replace(' 0.004', ''), 'layout_mismatch', `custom: expected ' ' after $request_time (column ${col(line(), '0.005')})`],
    [UA_LAST, `${uaLine} 0.25`, 'unexpected_trailing_text', `custom: ' 0.25' at column ${uaLine.length + 1}`],
    [NGINX, line({ time: '[10/Foo/2026:13:55:36 +0000]' }), 'bad_timestamp', `$time_local '10/Foo/2026:13:55:36 +0000' at column ${col(line(), '10/Oct')}`],
    [NGINX, line({ client: '-' }), 'bad_client', "$remote_addr '-' at column 1"],
    [NGINX, line({ status: 'OK' }), 'bad_status', `$status 'OK' at column ${col(line(), '200')}`],
    [NGINX, line({ bytes: 'lots' }), 'bad_number', `$body_bytes_sent 'lots' at column ${col(line(), '512')}`],
    [NGINX, line({ rt: 'fast' }), 'bad_number', `$request_time 'fast' at column ${col(line(), '0.005')}`],
    [NGINX, line({ urt: 'soon' }), 'bad_number', `$upstream_response_time 'soon' at column ${col(line(), '0.004')}`],
    [NGINX, line({ rt: '99999999.5' }), 'implausible_value', `$request_time 99999999.5 s (over 30 days) at column ${col(line(), '0.005')}`],
    [NGINX, line({ bytes: '9'.repeat(50) }), 'implausible_value', `$body_bytes_sent ${'9'.repeat(40)}… bytes (over 1 PiB) at column ${col(line(), '512')}`],
    [NGINX_ERROR, 'PHP message: x', 'layout_mismatch', "nginx_error: expected a 'YYYY/MM/DD HH:MM:SS [level]' start at column 1"],
    [NGINX_ERROR, '2026/10/10 13:55:36 [error] x', 'layout_mismatch', "nginx_error: expected 'PID#TID: ' at column 29"],
    [NGINX_ERROR, '2026/10/10 13:55:36 [fatal] 1#1: x', 'unknown_level', "nginx severity 'fatal' at column 22"],
    [APACHE_ERROR, 'cupsd started', 'layout_mismatch', "apache_error: expected '[' and a timestamp at column 1"],
    [APACHE_ERROR, '[Wed Oct 11 14:32:52 2000]x', 'layout_mismatch', "apache_error: expected ' [level]' at column 27"],
    [APACHE_ERROR, '[authz_core:error] [pid 1] x', 'no_timestamp', "the line starts with '[authz_core:error]'"],
    [APACHE_ERROR, '[Wed Oct 99 14:32:52 2000] [error] x', 'bad_timestamp', "'Wed Oct 99 14:32:52 2000' at column 2"],
    [APACHE_ERROR, '[Wed Oct 11 14:32:52 2000] [core:loud] x', 'unknown_level', "Apache log level 'loud' at column 34"],
  ])('%#: %s %s → %s', (req, text, code, detail) => {
    expect(rejection(req, text)).toEqual({ ok: false, code, reason: REJECTION_REASONS[code as keyof typeof REJECTION_REASONS], detail });
  });

  it('30 lines rejected for one cause with 30 different values: one code and phrase, 30 details', () => {
    const results = Array.from({ length: 30 }, (_, i) => rejection(NGINX, line({ status: `s${i}` })));
    expect(new Set(results.map((r) => `${r.code}|${r.reason}`))).toEqual(new Set([`bad_status|${REJECTION_REASONS.bad_status}`]));
    expect(new Set(results.map((r) => r.detail)).size).toBe(30);
    expect(results[7]!.detail).toBe(`$status 's7' at column ${col(line(), '200')}`);
  });
});

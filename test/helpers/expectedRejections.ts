import type { RejectionCode } from '../../src/domain/rejection.js';

/** A rejected line: its number, reason code and detail. */
export type Rejection = [lineNo: number, code: RejectionCode, detail: string];

/**
 * The only lines of ../shared/data (outside fail2ban/raw) that format `auto` rejects, with the code and
 * detail given: they are in no web-server format we know. Any other rejection is a parser regression.
 * Checked on the parser alone (src/parse/realData.test.ts) and through the whole service (test/sharedData.int.test.ts),
 * which also rejects the lines of EXPECTED_IMPLAUSIBLE_TIMES below.
 */
export const EXPECTED_REJECTIONS: Record<string, Rejection[]> = {
  // Hand-made hybrids of Nginx Proxy Manager's `proxy` and `standard` formats (crowdsec test input).
  'crowdsec-hub/nginx_http-catch-npm__nginx_http-catch-npm.log': [
    [5, 'bad_client', "$remote_addr '-' at column 34"],
    [6, 'bad_number', "$request_time '200 - GET http api.example.org' at column 36"],
  ],
  // Apache error lines shipped through syslog lose their own timestamp; syslog's has no year.
  'fail2ban/apache-auth.log': [
    [42, 'no_timestamp', "the line starts with '[authz_core:error]'"],
    [43, 'no_timestamp', "the line starts with '[authz_core:error]'"],
    [44, 'no_timestamp', "the line starts with '[:error]'"],
    [45, 'no_timestamp', "the line starts with '[error]'"],
  ],
  // fail2ban's own layout `%h %l %u - [time ] vhost "%r" …` (four dashes, vhost after the time).
  'fail2ban/apache-fakegooglebot.log': [
    [1, 'bad_client', "%h '-' at column 13"],
    [2, 'bad_client', "%h '-' at column 15"],
  ],
  // lnav's W3C-like samples (`2013-02-11T06:43:36 10.112.72.172 - GET "/client/" -1 200 …`).
  'lnav/format_samples_access_log.txt': [
    [3, 'bad_client', "$remote_addr '2013-02-11T06:43:36 10.112.72.172' at column 1"],
    [4, 'bad_client', "$remote_addr '2013-02-11T06:43:36 10.112.72.172' at column 1"],
  ],
  // A CUPS error line among lnav's Apache error samples.
  'lnav/format_samples_error_log.txt': [[1, 'layout_mismatch', "apache_error: expected '[' and a timestamp at column 1"]],
  // lnav's negative test: the ident and user fields are missing.
  'lnav/logfile_bad_access_log.0': [[2, 'layout_mismatch', "nginx_combined: expected ' - ' after $remote_addr (column 1)"]],
  // Vector's negative tests: all-dash lines, a non-log line, a bad timestamp.
  'vector-vrl/apache_common_combined.log': [
    [4, 'bad_client', "%h '-' at column 1"],
    [5, 'bad_client', "%h '-' at column 1"],
    [6, 'layout_mismatch', "apache_combined: expected ' [' after %u (column 7)"],
    [7, 'bad_client', "%h '-' at column 1"],
  ],
  'vector-vrl/apache_error.log': [[5, 'layout_mismatch', "apache_error: expected ' [level]' at column 22"]],
};

/**
 * Lines the parser reads but the service rejects for their time (src/ingest/plausibleTime.ts): these
 * files collect sample lines of different decades, and a line more than ten years before the file's
 * anchor (the median time of its first 200 lines) is taken for a clock that was not set.
 */
export const EXPECTED_IMPLAUSIBLE_TIMES: Record<string, Rejection[]> = {
  // 1995, among lines of 2012–2023 (anchor 2013-02).
  'lnav/format_samples_access_log.txt': [[9, 'time_decades_early', "1995-06-01T06:00:59.000Z; the file's lines are near 2013-02-11T06:43:36.000Z"]],
  // 2000, among lines of 2021.
  'vector-vrl/apache_common_combined.log': [[1, 'time_decades_early', "2000-10-10T20:55:36.000Z; the file's lines are near 2021-02-25T12:44:08.000Z"]],
};

/** What the whole service rejects in a file of ../shared/data, in line order. */
export function serviceRejections(rel: string): Rejection[] {
  return [...(EXPECTED_REJECTIONS[rel] ?? []), ...(EXPECTED_IMPLAUSIBLE_TIMES[rel] ?? [])].sort((a, b) => a[0] - b[0]);
}

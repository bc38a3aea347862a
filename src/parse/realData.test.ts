import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allDataFiles, dataPath, ingestFile } from './testData.js';

/**
 * Every access and error log of ../shared/data through framing + auto detection. Each line must end
 * as a record, a rejection or an empty line; the only rejections are the lines below, which are not
 * in any web-server format we know, with the reason we give.
 */
const EXPECTED_REJECTIONS: Record<string, [number, string][]> = {
  // Hand-made hybrids of Nginx Proxy Manager's `proxy` and `standard` formats (crowdsec test input).
  'crowdsec-hub/nginx_http-catch-npm__nginx_http-catch-npm.log': [
    [5, "bad client address '-'"],
    [6, "bad time for $request_time '200 - GET http api.example.org'"],
  ],
  // Apache error lines shipped through syslog lose their own timestamp; syslog's has no year.
  'fail2ban/apache-auth.log': [
    [42, "no timestamp: the line starts with '[authz_core:error]'"],
    [43, "no timestamp: the line starts with '[authz_core:error]'"],
    [44, "no timestamp: the line starts with '[:error]'"],
    [45, "no timestamp: the line starts with '[error]'"],
  ],
  // fail2ban's own layout `%h %l %u - [time ] vhost "%r" …` (four dashes, vhost after the time).
  'fail2ban/apache-fakegooglebot.log': [
    [1, "bad client address '-'"],
    [2, "bad client address '-'"],
  ],
  // lnav's W3C-like samples (`2013-02-11T06:43:36 10.112.72.172 - GET "/client/" -1 200 …`).
  'lnav/format_samples_access_log.txt': [
    [3, "bad client address '2013-02-11T06:43:36 10.112.72.172'"],
    [4, "bad client address '2013-02-11T06:43:36 10.112.72.172'"],
  ],
  // A CUPS error line among lnav's Apache error samples.
  'lnav/format_samples_error_log.txt': [[1, "line does not match apache_error: expected '[' and a timestamp at column 1"]],
  // lnav's negative test: the ident and user fields are missing.
  'lnav/logfile_bad_access_log.0': [[2, "line does not match nginx_combined: expected ' - ' after $remote_addr (column 1)"]],
  // Vector's negative tests: all-dash lines, a non-log line, a bad timestamp.
  'vector-vrl/apache_common_combined.log': [
    [4, "bad client address '-'"],
    [5, "bad client address '-'"],
    [6, "line does not match apache_combined: expected ' [' after %u (column 7)"],
    [7, "bad client address '-'"],
  ],
  'vector-vrl/apache_error.log': [[5, "line does not match apache_error: expected ' [level]' at column 22"]],
};

/** Lines in the file as `wc -l` counts them, plus a final line without '\n'. */
function countLines(rel: string): number {
  const bytes = readFileSync(dataPath(rel));
  let n = 0;
  for (const b of bytes) if (b === 10) n++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? n + 1 : n;
}

describe('all shared sample logs', () => {
  const files = allDataFiles().filter((f) => !f.startsWith('fail2ban/raw/') && f !== 'SOURCES.md');

  it('finds the data set', () => {
    expect(files.length).toBeGreaterThan(110);
  });

  for (const file of files) {
    it(file, () => {
      const out = ingestFile(file);
      expect(out.totalLines).toBe(countLines(file));
      expect(out.recordLines + out.emptyLines).toBe(out.totalLines);
      expect(out.records.length + out.rejections.length).toBeLessThanOrEqual(out.totalLines - out.emptyLines);
      expect(out.rejections.map((r) => [r.lineNo, r.reason])).toEqual(EXPECTED_REJECTIONS[file] ?? []);
      for (const { record } of out.records) expect(Number.isFinite(record.timestamp)).toBe(true);
    });
  }

  it('ingests all 10,000 lines of elastic-examples/apache_logs', () => {
    const out = ingestFile('elastic-examples/apache_logs');
    expect(out.format).toBe('apache_combined');
    expect(out.records).toHaveLength(10_000);
    expect(out.records.filter((r) => r.record.bytesSent === 0).length).toBeGreaterThanOrEqual(669);
  });

  it('ingests all 3,456 lines of the logparser hackers log', () => {
    const out = ingestFile('nielsbasjes-logparser/hackers-access.log');
    expect(out.records).toHaveLength(3456);
    expect(out.records.filter((r) => r.record.clientIp?.includes(':')).length).toBe(12);
  });

  it('gives the same records whatever the chunk size', () => {
    for (const file of ['elastic-beats/nginx-error-error.log', 'crowdsec-hub/nginx-http-malformed__nginx_http-logs.log', 'elastic-beats/apache-access-test-vhost.log']) {
      const whole = ingestFile(file);
      for (const chunk of [1, 7, 100]) expect(ingestFile(file, { format: 'auto' }, chunk)).toEqual(whole);
    }
  });
});

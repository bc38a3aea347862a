import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPECTED_REJECTIONS } from '../../test/helpers/expectedRejections.js';
import { allDataFiles, dataPath, ingestFile, hasSharedData, needs, sharedData } from './testData.js';

/** Lines in the file as `wc -l` counts them, plus a final line without '\n'. */
function countLines(rel: string): number {
  const bytes = readFileSync(dataPath(rel));
  let n = 0;
  for (const b of bytes) if (b === 10) n++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? n + 1 : n;
}

describe('all shared sample logs', needs(sharedData), () => {
  const files = hasSharedData ? allDataFiles().filter((f) => !f.startsWith('fail2ban/raw/') && f !== 'SOURCES.md') : [];

  it('finds the data set', () => {
    expect(files.length).toBeGreaterThan(110);
  });

  for (const file of files) {
    it(file, () => {
      const out = ingestFile(file);
      expect(out.totalLines).toBe(countLines(file));
      expect(out.recordLines + out.emptyLines).toBe(out.totalLines);
      expect(out.records.length + out.rejections.length).toBeLessThanOrEqual(out.totalLines - out.emptyLines);
      expect(out.rejections.map((r) => [r.lineNo, r.code, r.detail])).toEqual(EXPECTED_REJECTIONS[file] ?? []);
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

import { describe, expect, it } from 'vitest';
import { jobReport } from './ingestCommand.js';

const job = {
  id: 'j1', status: 'succeeded', format: 'nginx_combined_timed', bytes_total: 10, bytes_processed: 10,
  lines_processed: 3000,
  lines_ingested: 3000, lines_rejected: 0, lines_skipped: 0, records_ingested: 3000, error: null,
};

describe('jobReport', () => {
  it('the counts, then the layouts of a mixed file and the warnings', () => {
    expect(jobReport('a.log', {
      ...job, format_confidence: 'low', format_warnings: ['1 line was read by combined_extra, which ignores the fields after the user agent'],
      layouts: [{ name: 'nginx_combined_timed', lines: 2999 }, { name: 'combined_extra', lines: 1 }],
    }, 'http://x')).toEqual([
      'a.log: job j1 succeeded — format nginx_combined_timed (detection unsure), 3000 lines ingested (3000 records), 0 rejected, 0 empty',
      '  layouts: nginx_combined_timed 2999 lines, combined_extra 1 line',
      '  warning: 1 line was read by combined_extra, which ignores the fields after the user agent',
    ]);
  });

  it('a sure, single-layout job (or an older server): the counts alone', () => {
    const one = { ...job, format_confidence: 'high' as const, format_warnings: [], layouts: [{ name: 'nginx_combined_timed', lines: 3000 }] };
    expect(jobReport('a.log', one, 'http://x')).toHaveLength(1);
    expect(jobReport('a.log', job, 'http://x')).toHaveLength(1);
  });
});

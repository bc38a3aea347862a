import { describe, expect, it } from 'vitest';
import { parseBatchNotice, type BatchNotice } from './batchNotice.js';

describe('parseBatchNotice', () => {
  const notice: BatchNotice = {
    job_id: '5ba81884-3a5f-4f11-adfd-9675c184b2e2', source: 'web-1', first_line: 2001, last_line: 4000,
    min_timestamp: '2026-10-10T13:55:36.123Z', max_timestamp: '2026-10-10T14:00:00Z',
  };

  it('reads what the ingest runner sends', () => {
    expect(parseBatchNotice(JSON.stringify(notice))).toEqual(notice);
  });

  it('ignores payloads that are not notices', () => {
    for (const payload of ['', 'hello', '[]', 'null', JSON.stringify({ ...notice, first_line: '1' }), JSON.stringify({ ...notice, max_timestamp: 'soon' })]) {
      expect(parseBatchNotice(payload), payload).toBeNull();
    }
  });
});

import { describe, expect, it } from 'vitest';
import type { BatchMessage } from './batch.js';
import { ISOLATION_BATCH_ROWS, isolationLimit, narrowIsolation } from './isolation.js';

const batch = (rows: number, end: number, isolated = false): BatchMessage => ({
  type: 'batch', format: 'x', formatConfidence: 'high', formatWarnings: [], layouts: [], logs: [], rejects: null, rollups: null, searchBlocks: null, logRows: rows, rejectRows: 0,
  linesIngested: rows, linesRejected: 0, linesSkipped: 0, bytesProcessed: end, linesProcessed: 0,
  minTimestamp: null, maxTimestamp: null, final: false,
  ...(isolated ? { records: Array.from({ length: rows }, (_, i) => ({ lineNo: i + 1, lineCount: 1, raw: 'x' })) } : {}),
});

describe('isolation windows', () => {
  it('a failed full batch is re-run in small batches, a failed small one in quarters down to single records', () => {
    const first = narrowIsolation([], 1000, batch(20_000, 9000));
    expect(first).toEqual([{ untilByte: 9000, rows: ISOLATION_BATCH_ROWS }]);
    const second = narrowIsolation(first!, 3000, batch(ISOLATION_BATCH_ROWS, 4000, true));
    expect(second).toEqual([{ untilByte: 9000, rows: ISOLATION_BATCH_ROWS }, { untilByte: 4000, rows: ISOLATION_BATCH_ROWS / 4 }]);
    const sizes = [ISOLATION_BATCH_ROWS];
    while (sizes.at(-1)! > 1) sizes.push(narrowIsolation([], 0, batch(sizes.at(-1)!, 100, true))!.at(-1)!.rows);
    expect(sizes).toEqual([256, 64, 16, 4, 1]);
    expect(narrowIsolation([], 0, batch(3, 100, true))).toEqual([{ untilByte: 100, rows: 1 }]);
  });

  it('the limit at a point is the finest window around it, up to the nearest end; none past the windows', () => {
    const windows = [{ untilByte: 9000, rows: ISOLATION_BATCH_ROWS }, { untilByte: 4000, rows: 1 }];
    expect(isolationLimit(windows, 3000)).toEqual({ untilByte: 4000, rows: 1 });
    expect(isolationLimit(windows, 4000)).toEqual({ untilByte: 9000, rows: ISOLATION_BATCH_ROWS });
    expect(isolationLimit(windows, 9000)).toBeUndefined();
  });

  it('windows behind the failed batch are dropped; a lone row that is not a stored record cannot be isolated', () => {
    expect(narrowIsolation([{ untilByte: 4000, rows: 1 }], 5000, batch(2, 6000, true))).toEqual([{ untilByte: 6000, rows: 1 }]);
    expect(narrowIsolation([], 0, { ...batch(0, 100, true), rejectRows: 1 })).toBeUndefined();
    expect(narrowIsolation([], 0, batch(0, 100))).toBeUndefined();
    // A one-row batch cut normally carries no text: it is re-run isolated to get it.
    expect(narrowIsolation([], 0, batch(1, 100))).toEqual([{ untilByte: 100, rows: 1 }]);
  });
});

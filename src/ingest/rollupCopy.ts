import { ROLLUP_TABLES, rollupColumns, rollupTableNames, type RollupColumnType, type RollupTableDescription, type RollupTableName, type RollupValuesOf } from '../db/rollupTables.js';
import { BinaryCopyWriter, type BufferPool } from './binaryCopy.js';

/** One table's rows of a batch, in binary COPY format with the table's columns (rollupColumns). */
export interface RollupCopy {
  table: RollupTableName;
  /**
   * Minute rows whose minute an earlier take() of the same builder covered too: their keys may be
   * stored already, so they are summed into the stored rows (upserted) instead of inserted.
   */
  merge: boolean;
  data: Uint8Array;
}

/** The BinaryCopyWriter method that writes a value of each SQL type (binary COPY is typed: it must be the column's). */
const WRITER_METHOD: Partial<Record<RollupColumnType, string>> = {
  timestamptz: 'timestamptz', text: 'text', smallint: 'int16', bigint: 'int64', 'double precision': 'float64',
};

const NO_PAIRS: readonly number[] = [];

type RowWriter<V> = (w: BinaryCopyWriter, values: V, pairs: readonly number[]) => void;

/**
 * The function that appends a row of `table` (its values, then on a table with a histogram the
 * histogram from [bucket, count, …] pairs sorted by bucket), generated once from the description of
 * its columns: straight-line calls, as fast as a hand-written encoder, which a loop over the columns
 * reading values by name was not (15% slower: every rollup row of a batch goes through it). Its source
 * comes only from the description, whose value names are checked to be plain identifiers.
 */
function rowWriter<T extends RollupTableName>(table: T): RowWriter<RollupValuesOf<T>> {
  const t: RollupTableDescription = ROLLUP_TABLES[table];
  const lines = [`w.row(${rollupColumns(table).length});`];
  for (const c of [...t.key, ...t.measures]) {
    const method = WRITER_METHOD[c.type];
    if (method === undefined || !/^[a-zA-Z]+$/.test(c.field)) throw new Error(`${table}.${c.name}: cannot encode ${c.type} from ${c.field}`);
    lines.push(`w.${method}(v.${c.field});`);
  }
  if (t.histogram) lines.push('w.int32Array(pairs, 0, 2);', 'w.int32Array(pairs, 1, 2);');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the description above, never from input
  return new Function('w', 'v', 'pairs', lines.join('\n')) as RowWriter<RollupValuesOf<T>>;
}

const ROW_WRITERS = Object.fromEntries(rollupTableNames().map((t) => [t, rowWriter(t)])) as {
  [T in RollupTableName]: RowWriter<RollupValuesOf<T>>;
};

/** The binary COPY payloads of one batch, a writer per table (and per minute path: inserted or merged). */
export class RollupCopies {
  private readonly inserted = new Map<RollupTableName, BinaryCopyWriter>();
  private readonly merged = new Map<RollupTableName, BinaryCopyWriter>();

  constructor(private readonly pool?: BufferPool) {}

  /** Appends a row of `table` (`pairs`: its histogram, on a table with one; `merge`: see RollupCopy). */
  add<T extends RollupTableName>(table: T, values: RollupValuesOf<T>, pairs?: readonly number[], merge = false): void {
    const writers = merge ? this.merged : this.inserted;
    let w = writers.get(table);
    if (w === undefined) writers.set(table, (w = new BinaryCopyWriter(16 << 10, this.pool)));
    ROW_WRITERS[table](w, values, pairs ?? NO_PAIRS);
  }

  finish(): RollupCopy[] {
    const copies = (writers: Map<RollupTableName, BinaryCopyWriter>, merge: boolean): RollupCopy[] =>
      [...writers].map(([table, w]) => ({ table, merge, data: w.finish() }));
    return [...copies(this.inserted, false), ...copies(this.merged, true)];
  }
}

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

/** How a value of each SQL type is written (binary COPY is typed: the encoding must be the column's). */
const TIMESTAMPTZ = 0;
const TEXT = 1;
const INT16 = 2;
const INT64 = 3;
const FLOAT64 = 4;
const ENCODING: Partial<Record<RollupColumnType, number>> = {
  timestamptz: TIMESTAMPTZ, text: TEXT, smallint: INT16, bigint: INT64, 'double precision': FLOAT64,
};

const NO_PAIRS: readonly number[] = [];

/**
 * Writes rows of one rollup table from the description of its columns (rollupTables.ts). Built once
 * per table: a row is a loop over precomputed encodings and value names, no closure or string made.
 */
class RollupRowEncoder<V> {
  private readonly width: number;
  private readonly encodings: Uint8Array;
  private readonly fields: string[];
  private readonly histogram: boolean;

  constructor(table: RollupTableName) {
    const t: RollupTableDescription = ROLLUP_TABLES[table];
    const columns = [...t.key, ...t.measures];
    this.width = rollupColumns(table).length;
    this.fields = columns.map((c) => c.field);
    this.encodings = Uint8Array.from(columns, (c) => {
      const e = ENCODING[c.type];
      if (e === undefined) throw new Error(`${table}.${c.name}: no COPY encoding for ${c.type}`);
      return e;
    });
    this.histogram = t.histogram;
  }

  /** Appends a row: its values, then (on a table with a histogram) the histogram from [bucket, count, …] pairs sorted by bucket. */
  write(w: BinaryCopyWriter, values: V, pairs: readonly number[] = NO_PAIRS): void {
    const v = values as Record<string, string | number | null>;
    w.row(this.width);
    const { encodings, fields } = this;
    for (let i = 0; i < encodings.length; i++) {
      const x = v[fields[i]!]!;
      switch (encodings[i]) {
        case TIMESTAMPTZ: w.timestamptz(x as number); break;
        case TEXT: w.text(x as string | null); break;
        case INT16: w.int16(x as number | null); break;
        case INT64: w.int64(x as number); break;
        default: w.float64(x as number | null);
      }
    }
    if (!this.histogram) return;
    w.int32Array(pairs, 0, 2);
    w.int32Array(pairs, 1, 2);
  }
}

const ENCODERS = Object.fromEntries(rollupTableNames().map((t) => [t, new RollupRowEncoder(t)])) as {
  [T in RollupTableName]: RollupRowEncoder<RollupValuesOf<T>>;
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
    ENCODERS[table].write(w, values, pairs);
  }

  finish(): RollupCopy[] {
    const copies = (writers: Map<RollupTableName, BinaryCopyWriter>, merge: boolean): RollupCopy[] =>
      [...writers].map(([table, w]) => ({ table, merge, data: w.finish() }));
    return [...copies(this.inserted, false), ...copies(this.merged, true)];
  }
}

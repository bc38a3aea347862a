import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, openTestDb } from '../../test/helpers/db.js';
import type { Db } from './db.js';
import {
  HISTOGRAM_COLUMNS, ROLLUP_TABLES, rollupColumns, rollupTableNames, SKETCH_TABLES,
  type RollupColumnType, type RollupTableDescription,
} from './rollupTables.js';

/** information_schema's udt_name of each described type. */
const UDT_NAME: Record<RollupColumnType, string> = {
  timestamptz: 'timestamptz', text: 'text', smallint: 'int2', bigint: 'int8', 'double precision': 'float8', 'integer[]': '_int4',
};

/** Tables with buckets that are not rollups of counts: they are written and merged by code of their own. */
const OTHER_BUCKETED_TABLES = [...Object.values(SKETCH_TABLES), 'client_tops_1d', 'client_top_floors_1d', 'rollup_dirty'];

interface ColumnRow {
  table_name: string;
  column_name: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  collation_name: string | null;
}

describeBackends('rollup table descriptions match the migrated schema on %s', (kind) => {
  let db: Db;
  let columns: ColumnRow[];
  beforeAll(async () => {
    db = await openTestDb(kind);
    columns = (await db.query<ColumnRow>(
      `SELECT table_name::text, column_name::text, udt_name::text, is_nullable::text, collation_name::text
       FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
    )).rows;
  });
  afterAll(async () => db?.close());

  it('each described table has its columns, in the order COPY writes them, with their types and nullability', () => {
    for (const table of rollupTableNames()) {
      const t: RollupTableDescription = ROLLUP_TABLES[table];
      const described = [
        ...[...t.key, ...t.measures].map((c) => [c.name, UDT_NAME[c.type], c.nullable ? 'YES' : 'NO']),
        ...(t.histogram ? HISTOGRAM_COLUMNS.map((name) => [name, UDT_NAME['integer[]'], 'NO']) : []),
      ];
      const stored = columns.filter((c) => c.table_name === table).map((c) => [c.column_name, c.udt_name, c.is_nullable]);
      expect(stored, table).toEqual(described);
      expect(stored.map(([name]) => name), table).toEqual(rollupColumns(table));
    }
  });

  it('key text columns compare bytes (collation "C"), as the unique keys and GROUP BYs rely on', () => {
    for (const table of rollupTableNames()) {
      for (const k of ROLLUP_TABLES[table].key.filter((c) => c.type === 'text')) {
        const stored = columns.find((c) => c.table_name === table && c.column_name === k.name);
        expect(stored?.collation_name, `${table}.${k.name}`).toBe('C');
      }
    }
  });

  it('an upserted table has its unique constraint over exactly the described key', async () => {
    for (const table of rollupTableNames()) {
      const t: RollupTableDescription = ROLLUP_TABLES[table];
      if (t.upsertConstraint === null) continue;
      const res = await db.query<{ column_name: string }>(
        `SELECT k.column_name::text FROM information_schema.table_constraints AS c
         JOIN information_schema.key_column_usage AS k USING (constraint_schema, constraint_name)
         WHERE c.constraint_schema = current_schema() AND c.table_name = $1 AND c.constraint_name = $2 AND c.constraint_type = 'UNIQUE'
         ORDER BY k.ordinal_position`,
        [table, t.upsertConstraint],
      );
      expect(res.rows.map((r) => r.column_name), table).toEqual(t.key.map((c) => c.name));
    }
  });

  it('the level and status indexes of the full-key hour and day rollups hold every column a fact reads (an index-only scan)', async () => {
    for (const table of ['rollups_1h', 'rollups_1d'] as const) {
      for (const index of [`${table}_problem_level_idx`, `${table}_error_status_idx`]) {
        const res = await db.query<{ name: string }>(
          `SELECT a.attname::text AS name FROM pg_index AS i
           JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
           WHERE i.indexrelid = $1::regclass ORDER BY 1`,
          [index],
        );
        const t = ROLLUP_TABLES[table];
        expect(res.rows.map((r) => r.name), index).toEqual([...t.key, ...t.measures].map((c) => c.name).sort());
      }
    }
  });

  it('every table with buckets or named for rollups is described (a new rollup table needs its description)', () => {
    const rollupLike = new Set(columns.filter((c) => c.column_name === 'bucket' || c.table_name.includes('rollup')).map((c) => c.table_name));
    const undescribed = [...rollupLike].filter((t) => !(t in ROLLUP_TABLES) && !OTHER_BUCKETED_TABLES.includes(t));
    expect(undescribed).toEqual([]);
    // And the description names no table the migrations lack.
    expect(rollupTableNames().filter((t) => !rollupLike.has(t))).toEqual([]);
  });
});

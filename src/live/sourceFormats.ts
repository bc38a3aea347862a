import type { Queryable } from '../db/db.js';

/** The format a live source is parsed with, as its owner set it (migration 0020). */
export interface SourceFormat {
  source: string;
  /** A preset from GET /formats, or `nginx` / `apache` with `log_format`. */
  format: string;
  log_format: string | null;
  /** The zone of timestamps written without one. */
  tz: string;
  updated_at: string;
}

const COLUMNS = `source, format, log_format, tz, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at`;

export async function getSourceFormat(db: Queryable, source: string): Promise<SourceFormat | null> {
  const res = await db.query<SourceFormat>(`SELECT ${COLUMNS} FROM source_formats WHERE source = $1`, [source]);
  return res.rows[0] ?? null;
}

/** Sets the source's format (validated by the caller): its segments begun from now on are parsed with it. */
export async function setSourceFormat(db: Queryable, f: Omit<SourceFormat, 'updated_at'>): Promise<SourceFormat> {
  const res = await db.query<SourceFormat>(
    `INSERT INTO source_formats (source, format, log_format, tz) VALUES ($1, $2, $3, $4)
     ON CONFLICT (source) DO UPDATE SET format = excluded.format, log_format = excluded.log_format, tz = excluded.tz, updated_at = now()
     RETURNING ${COLUMNS}`,
    [f.source, f.format, f.log_format, f.tz],
  );
  return res.rows[0]!;
}

/** Back to detection from each segment's first lines. False when the source had no format set. */
export async function deleteSourceFormat(db: Queryable, source: string): Promise<boolean> {
  const res = await db.query('DELETE FROM source_formats WHERE source = $1 RETURNING source', [source]);
  return res.rows.length > 0;
}

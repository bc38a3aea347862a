import type { Queryable } from '../db/db.js';
import { BLOOM_BYTES, type SearchBlocks } from '../domain/trigramBloom.js';

/**
 * A batch's blocks (src/domain/trigramBloom.ts) into log_search_blocks, in the batch's transaction: a
 * record is never committed without the block that finds it.
 */
export async function writeSearchBlocks(tx: Queryable, jobId: string, blocks: SearchBlocks): Promise<void> {
  await tx.query(
    `INSERT INTO log_search_blocks (job_id, first_line, last_line, min_ts, max_ts, bloom)
     SELECT $1::uuid, u.f, u.l, to_timestamp(u.a / 1000), to_timestamp(u.b / 1000), substring($6::bytea FROM ((u.i - 1) * ${BLOOM_BYTES} + 1)::int FOR ${BLOOM_BYTES})
     FROM unnest($2::bigint[], $3::bigint[], $4::float8[], $5::float8[]) WITH ORDINALITY AS u(f, l, a, b, i)`,
    [jobId, blocks.firstLine, blocks.lastLine, blocks.minMs, blocks.maxMs, Buffer.from(blocks.blooms.buffer, blocks.blooms.byteOffset, blocks.blooms.byteLength)],
  );
}

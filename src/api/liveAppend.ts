import type { FastifyBaseLogger } from 'fastify';
import { BacklogFullError, type LiveJournal } from '../live/journal.js';
import type { JournalLines } from '../live/journalLines.js';
import type { LiveProtocol } from '../live/segments.js';
import { AppError } from './errors.js';

/**
 * Journals the lines of one request of a live HTTP input, by source (in the journal's form:
 * src/live/journalLines.ts); resolves once all are on disk, so the answer after it promises
 * durability. When the database is too far behind, 429 with Retry-After: every source's append checks
 * the backlog before any of them writes, so then nothing of the request was kept. When the journal
 * cannot write, 503: the sender resends the whole request, and lines of another source that did reach
 * the disk are then stored twice (a disk failure's price).
 */
export async function appendLiveLines(
  journal: LiveJournal, protocol: LiveProtocol, lines: ReadonlyMap<string, JournalLines>, log: FastifyBaseLogger,
): Promise<void> {
  try {
    await Promise.all([...lines].map(([source, l]) => journal.append(source, protocol, l)));
  } catch (err) {
    if (err instanceof BacklogFullError) {
      throw new AppError(429, 'backlog_full', `${err.message}; nothing of this request was stored`, { headers: { 'retry-after': '1' } });
    }
    log.error({ err, protocol }, 'could not journal the lines');
    throw new AppError(503, 'journal_unavailable', 'the lines could not be written to the journal; nothing of this request was stored, retry');
  }
}

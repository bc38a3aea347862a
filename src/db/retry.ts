/**
 * Errors after which the same work may succeed if tried again (the database restarted, a network
 * blip, a serialisation conflict). Anything else is a bug or bad data and is not retried.
 *
 * | SQLSTATE / code | meaning                                   |
 * |-----------------|-------------------------------------------|
 * | 08xxx           | connection exception                      |
 * | 40001, 40P01    | serialization failure, deadlock detected  |
 * | 53300           | too many connections                      |
 * | 57P01–57P03     | admin/crash shutdown, cannot connect now  |
 * | ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT | socket errors from node |
 */
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01', '53300', '57P01', '57P02', '57P03']);
const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

export function isRetryableDbError(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (code.startsWith('08') || RETRYABLE_SQLSTATES.has(code) || RETRYABLE_NODE_CODES.has(code)) return true;
    }
    const message = e instanceof Error ? e.message : '';
    // pg reports a socket closed under it with these messages and no code.
    if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) return true;
  }
  return false;
}

/** Exponential backoff with full jitter, capped: attempt 1 → up to 200 ms, attempt 8+ → up to 15 s. */
export function backoffMs(attempt: number): number {
  const cap = Math.min(15_000, 200 * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
}

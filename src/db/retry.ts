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

/** Longest wait between two tries of retryTransient: work resumes within this of the database coming back. */
const RETRY_WAIT_CAP_MS = 2_000;

/**
 * Runs `work` again after a retryable error, with backoff, until it succeeds, fails otherwise, the
 * deadline (epoch ms) would pass, or `stop()` says so; the last error is then thrown. The work must
 * be safe to repeat: a try whose connection was lost may have committed before it was.
 */
export async function retryTransient<T>(
  work: () => Promise<T>,
  opts: { deadline: number; stop?: () => boolean; onRetry?: (err: unknown, attempt: number) => void },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      const waitMs = Math.min(backoffMs(attempt), RETRY_WAIT_CAP_MS);
      if (!isRetryableDbError(err) || opts.stop?.() || Date.now() + waitMs > opts.deadline) throw err;
      opts.onRetry?.(err, attempt);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

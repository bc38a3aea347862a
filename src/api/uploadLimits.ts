import type { FastifyReply, FastifyRequest } from 'fastify';
import { SpoolError } from '../ingest/spool.js';
import { SpoolFullError, SpoolQuota, type SpoolCharge } from '../ingest/spoolQuota.js';
import { requestOwner } from './auth.js';
import { AppError } from './errors.js';
import type { ServerDeps } from './server.js';
import { watchUploadIdle } from './uploadIdle.js';
import { UploadSlots } from './uploadSlots.js';

const SPOOL_STATUS = { too_large: 413, empty: 400, bad_gzip: 400, disk_full: 507, not_text: 415, idle_timeout: 408 } as const;
/** Seconds a client refused for having too many uploads at once is told to wait. */
const UPLOAD_SLOT_RETRY_AFTER_S = 5;

/** A spool refusal as a problem; an idle upload's connection closes with it (the rest of its body is not awaited). */
export function spoolProblem(err: SpoolError): AppError {
  return new AppError(SPOOL_STATUS[err.kind], `upload_${err.kind}`, err.message, err.kind === 'idle_timeout' ? { headers: { connection: 'close' } } : {});
}

/** What an upload runs under: its idle signal, its share of the spool quota, and how it says its file is kept. */
export interface UploadGuards {
  signal: AbortSignal;
  charge: SpoolCharge;
  /** The spooled file stays (a job reads it): the quota counts it as on disk from now on. */
  keep: () => void;
}

/**
 * The limits every upload runs under (issue 13, defects 11 and 20), as a wrapper around the route's
 * work: a slot of the key's MAX_UPLOADS_PER_KEY (429 beyond), the idle timeout (408, connection
 * closed), the spool quota and free-space reserve (507 spool_full), and MAX_UPLOAD_BYTES by
 * Content-Length (413); all released however the upload ends. One set per process.
 */
export function uploadLimits(deps: ServerDeps): <T>(req: FastifyRequest, reply: FastifyReply, receive: (g: UploadGuards) => Promise<T>) => Promise<T> {
  const { maxUploadBytes, spoolDir, spoolMaxBytes, spoolMinFreeBytes, uploadIdleTimeoutMs } = deps.config;
  const quota = new SpoolQuota({ spoolDir, maxBytes: spoolMaxBytes, minFreeBytes: spoolMinFreeBytes });
  const slots = new UploadSlots();

  return async <T>(req: FastifyRequest, reply: FastifyReply, receive: (g: UploadGuards) => Promise<T>): Promise<T> => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxUploadBytes + 64 * 1024) {
      throw new AppError(413, 'upload_too_large', `upload of ${declared} bytes exceeds the limit of ${maxUploadBytes} bytes (MAX_UPLOAD_BYTES)`);
    }
    const release = slots.acquire(requestOwner(req).slot);
    if (!release) {
      const who = req.apiKey ? 'this API key' : 'this client address';
      throw new AppError(429, 'too_many_uploads',
        `${who} has ${slots.max} uploads in progress, the most it may have at once; send this one when one of them is done`,
        { headers: { 'retry-after': String(UPLOAD_SLOT_RETRY_AFTER_S) } });
    }
    const idle = watchUploadIdle(req, reply, uploadIdleTimeoutMs);
    let charge: SpoolCharge | undefined;
    let kept = false;
    try {
      charge = await quota.begin(Number.isFinite(declared) ? declared : undefined);
      return await receive({ signal: idle.signal, charge, keep: () => (kept = true) });
    } catch (err) {
      if (err instanceof SpoolFullError) throw new AppError(507, 'spool_full', await quota.explain(deps.db, err));
      throw err instanceof SpoolError ? spoolProblem(err) : err;
    } finally {
      idle.stop();
      charge?.end(kept);
      release();
    }
  };
}

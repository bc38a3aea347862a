import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { SpoolCharge } from './spoolQuota.js';

export interface SpooledFile {
  path: string;
  /** SHA-256 of the (decompressed) content: the same log uploaded plain or gzipped is one duplicate. */
  sha256: string;
  bytes: number;
  gzip: boolean;
}

export class SpoolError extends Error {
  constructor(
    readonly kind: 'too_large' | 'empty' | 'bad_gzip' | 'disk_full' | 'not_text' | 'idle_timeout',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Files that are certainly not a text log, by their first bytes (after gunzip). Parsing one would
 * only reject every "line" of it; naming what it is (a log packed as zip or xz, an image sent by
 * mistake) is the clearer answer. Only signatures that no web-server or syslog line starts with.
 */
const NOT_TEXT: [string, Buffer][] = [
  ['a zip archive', Buffer.from('PK\x03\x04', 'latin1')],
  ['xz-compressed data', Buffer.from('\xfd7zXZ\x00', 'latin1')],
  ['zstd-compressed data', Buffer.from('\x28\xb5\x2f\xfd', 'latin1')],
  ['a 7z archive', Buffer.from('7z\xbc\xaf\x27\x1c', 'latin1')],
  ['an ELF executable', Buffer.from('\x7fELF', 'latin1')],
  ['a PNG image', Buffer.from('\x89PNG\r\n\x1a\n', 'latin1')],
  ['a JPEG image', Buffer.from('\xff\xd8\xff', 'latin1')],
  ['a PDF document', Buffer.from('%PDF-')],
];

/** What the content is when it is certainly not a text log, else null. */
export function sniffNotText(head: Buffer): string | null {
  for (const [what, magic] of NOT_TEXT) {
    if (head.length >= magic.length && head.subarray(0, magic.length).equals(magic)) return what;
  }
  // bzip2: "BZh", the block size digit, then the block magic 0x314159265359 (digits of π).
  if (/^BZh[1-9]1AY&SY/.test(head.toString('latin1', 0, 10))) return 'bzip2-compressed data';
  // A tar archive (logs.tar.gz) has "ustar" at offset 257 of its first header block.
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'a tar archive';
  return null;
}

/** Counts and hashes what passes; stops the stream once the limit is crossed (a gzip bomb stops here too). */
class LimitAndHash extends Transform {
  bytes = 0;
  readonly hash = crypto.createHash('sha256');
  constructor(private readonly maxBytes: number, private readonly quota: SpoolCharge | undefined) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    // The first chunk (a network read or a gunzip block) is far longer than any signature in practice.
    const notText = this.bytes === 0 ? sniffNotText(chunk) : null;
    if (notText) {
      done(new SpoolError('not_text', `the upload is ${notText}, not a text log; send plain text or gzip`));
      return;
    }
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(new SpoolError('too_large', `upload exceeds the limit of ${this.maxBytes} bytes`));
      return;
    }
    this.hash.update(chunk);
    if (!this.quota) return done(null, chunk);
    // What is written is what the spool holds (gzip inflated), so the quota counts here.
    this.quota.charge(chunk.length).then(() => done(null, chunk), done);
  }
}

/**
 * `promise`, or the signal's reason once it aborts first. The promise is left to settle on its own
 * (a read of a stream that is closed later), its rejection handled.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => signal.removeEventListener('abort', onAbort);
    promise.then((v) => (settle(), resolve(v)), (err: unknown) => (settle(), reject(err as Error)));
  });
}

async function firstChunk(body: AsyncIterator<Buffer>, signal: AbortSignal | undefined): Promise<Buffer | null> {
  for (;;) {
    const next = await abortable(body.next(), signal);
    if (next.done) return null;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    if (chunk.length > 0) return chunk;
  }
}

/**
 * Streams an upload to a file in the spool directory, never holding it in memory. Gzip is
 * recognised by its magic bytes (not the file name) and decompressed on the way, so the spool holds
 * plain text with seekable offsets for checkpoints. The file is fsynced before this resolves: a 202
 * answer means the bytes survive a crash. `quota` is charged with the bytes written (SpoolQuota);
 * `signal` aborting (an idle upload) stops it with its reason. Either way no file is left behind.
 */
export async function spoolUpload(
  body: Readable, opts: { spoolDir: string; maxBytes: number; quota?: SpoolCharge; signal?: AbortSignal },
): Promise<SpooledFile> {
  await fs.promises.mkdir(opts.spoolDir, { recursive: true });
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await firstChunk(iterator, opts.signal);
  if (!first) throw new SpoolError('empty', 'the uploaded file is empty');
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  const rest = Readable.from((async function* () {
    yield first;
    for (let n = await iterator.next(); !n.done; n = await iterator.next()) yield n.value;
  })());

  const file = path.join(opts.spoolDir, `${crypto.randomUUID()}.log`);
  opts.quota?.file(file);
  const limit = new LimitAndHash(opts.maxBytes, opts.quota);
  const signal = opts.signal ? { signal: opts.signal } : {};
  // Opened before streaming, so the file exists by the time an error removes it (a stream opening
  // it lazily could create it after the clean-up ran).
  const out = (await fs.promises.open(file, 'wx')).createWriteStream();
  try {
    if (gzip) await pipeline(rest, zlib.createGunzip(), limit, out, signal);
    else await pipeline(rest, limit, out, signal);
    if (limit.bytes === 0) throw new SpoolError('empty', 'the uploaded gzip file decompresses to nothing');
    const fh = await fs.promises.open(file, 'r+');
    await fh.sync().finally(() => fh.close());
  } catch (err) {
    await fs.promises.rm(file, { force: true });
    // pipeline() wraps an abort's reason in an AbortError.
    throw opts.signal?.aborted ? (opts.signal.reason as Error) : classify(err);
  }
  return { path: file, sha256: limit.hash.digest('hex'), bytes: limit.bytes, gzip };
}

function classify(err: unknown): unknown {
  if (err instanceof SpoolError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new SpoolError('disk_full', 'the spool disk is full', { cause: err });
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new SpoolError('bad_gzip', `the gzip data is corrupt or truncated (${(err as Error).message})`, { cause: err });
  }
  return err;
}

/**
 * Removes spool files that no job refers to: uploads cut off by a crash before their job row was
 * written. Only files older than minAgeMs, so an upload still streaming in is never touched.
 */
export async function removeOrphanSpoolFiles(spoolDir: string, inUse: Set<string>, minAgeMs: number): Promise<string[]> {
  const removed: string[] = [];
  const now = Date.now();
  for (const name of await fs.promises.readdir(spoolDir).catch(() => [] as string[])) {
    const file = path.join(spoolDir, name);
    if (inUse.has(file)) continue;
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (!stat?.isFile() || now - stat.mtimeMs < minAgeMs) continue;
    await fs.promises.rm(file, { force: true });
    removed.push(file);
  }
  return removed;
}

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

/**
 * SHA-256 of a file's content as the server keys an upload (src/ingest/spool.ts): gzip is recognised
 * by its magic bytes, not the name, and hashed after gunzip, so `a.log` and `a.log.gz` are one
 * content. `onBytes` is told the file bytes read so far (for a progress line).
 */
export async function contentSha256(file: string, onBytes?: (read: number) => void): Promise<string> {
  const fh = await fs.promises.open(file, 'r');
  let gzip: boolean;
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    gzip = bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
  const hash = crypto.createHash('sha256');
  let read = 0;
  const counted = fs.createReadStream(file).on('data', (chunk: Buffer | string) => {
    read += chunk.length;
    onBytes?.(read);
  });
  const sink = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done();
    },
  });
  if (gzip) await pipeline(counted, zlib.createGunzip(), sink);
  else await pipeline(counted, sink);
  return hash.digest('hex');
}

/**
 * The head and tail of a multipart/form-data body with the file as its one part, named `file` with
 * its base name (the job's `file_name`): a quoted `filename` (backslash-escaped, ASCII), and for a
 * name beyond ASCII also `filename*` (RFC 5987, UTF-8), which the server's parser prefers.
 */
export function multipartFrame(file: string, boundary: string): { head: Buffer; tail: Buffer } {
  const name = path.basename(file);
  const quoted = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, (c) => `\\${c}`);
  const extended = /^[\x20-\x7e]*$/.test(name) ? '' : `; filename*=UTF-8''${encodeURIComponent(name)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoted}"${extended}\r\n` +
    'Content-Type: application/octet-stream\r\n\r\n';
  return { head: Buffer.from(head), tail: Buffer.from(`\r\n--${boundary}--\r\n`) };
}

/** The file as a streamed multipart body with its exact length (no chunked encoding, no buffering). */
export function multipartUpload(
  file: string, size: number, onBytes: (sent: number) => void,
): { body: Readable; contentType: string; contentLength: number } {
  const boundary = `loginsights-${crypto.randomBytes(12).toString('hex')}`;
  const { head, tail } = multipartFrame(file, boundary);
  let sent = 0;
  const body = Readable.from((async function* () {
    yield head;
    for await (const chunk of fs.createReadStream(file)) {
      sent += (chunk as Buffer).length;
      onBytes(sent);
      yield chunk as Buffer;
    }
    yield tail;
  })());
  return { body, contentType: `multipart/form-data; boundary=${boundary}`, contentLength: head.length + size + tail.length };
}

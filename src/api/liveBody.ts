import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

const gunzip = promisify(zlib.gunzip);

/** A source name as uploads take it: 1–200 characters, no control characters. */
export const SOURCE_NAME = /^[^\x00-\x1f]{1,200}$/;

/**
 * A live HTTP input's plugin reads every body as bytes, up to `maxBytes`, whatever its content type
 * (shippers name theirs variously): the route decodes and checks it (requestBytes, then its own format).
 */
export function takeBodiesAsBytes(app: FastifyInstance, maxBytes: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
}

/**
 * The body of a live HTTP input's request as bytes: as sent, or inflated when its Content-Encoding is
 * gzip (at most `maxBytes` inflated, else 413; not gzip, 400). Any other encoding is 415, unless the
 * input names it in `passThrough` (an encoding its own decoder undoes, as Loki's snappy). Inflated in
 * libuv's thread pool, not on the event loop: Filebeat gzips its bulk requests by default, and a body
 * inflated in one go held every other request (and each batch commit's round trips) behind it.
 */
export async function requestBytes(req: FastifyRequest, maxBytes: number, passThrough: readonly string[] = []): Promise<Buffer> {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const encoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity' || passThrough.includes(encoding)) return raw;
  if (encoding !== 'gzip') throw new AppError(415, 'unsupported_encoding', `content-encoding ${encoding} is not supported; send gzip or none`);
  try {
    return await gunzip(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    throw (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE'
      ? new AppError(413, 'body_too_large', `the gzip body inflates past ${maxBytes} bytes`)
      : new AppError(400, 'bad_gzip', 'the body is not valid gzip');
  }
}

import type { FastifyInstance } from 'fastify';
import { AppError } from './errors.js';

/** RFC 7396's media type: a JSON document whose objects merge into the target, `null` removing a key. */
export const MERGE_PATCH_TYPE = 'application/merge-patch+json';

/**
 * Lets every PATCH route take its body as `application/merge-patch+json` (what RFC 7396 clients send,
 * e.g. `kubectl --type merge`), parsed exactly as `application/json` so the route's schema validates it
 * the same. On other methods the type means nothing and stays a 415, as before.
 */
export function installMergePatchParser(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(MERGE_PATCH_TYPE, { parseAs: 'string' }, (req, body, done) => {
    if (req.method !== 'PATCH') {
      done(new AppError(415, 'unsupported_media_type', `${MERGE_PATCH_TYPE} is for PATCH only; send application/json`), undefined);
      return;
    }
    // Fastify's own JSON parser (prototype-poisoning checks, its errors): callback style, it returns nothing.
    void json(req, typeof body === 'string' ? body : body.toString('utf8'), done);
  });
}

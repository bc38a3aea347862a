import type { FastifyInstance, preValidationHookHandler } from 'fastify';
import { z } from 'zod';
import { AppError } from './errors.js';

/**
 * Refuses the query parameters a route does not declare, naming each: validation alone would strip
 * them, and a typo (`?staus_code=500`) would answer unfiltered data as if it were filtered. Installed
 * once for every route with a querystring schema, checked before the schema validates the rest. A
 * loose schema (z.looseObject) opts out: it names the parameters a route reads among the many its
 * protocol allows (Elasticsearch's `_bulk` takes `refresh`, `pipeline`, `timeout`… and ignores them here).
 */
export function installUnknownQueryParamCheck(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema: unknown = route.schema?.querystring;
    if (schema === undefined) return;
    if (!(schema instanceof z.ZodObject)) {
      throw new Error(`route ${String(route.method)} ${route.url}: a querystring schema must be a zod object, so that unknown parameters are refused`);
    }
    if (schema.def.catchall !== undefined) return;
    const known = Object.keys(schema.shape);
    const refuseUnknown: preValidationHookHandler = (req, _reply, done) => {
      const unknown = Object.keys(req.query as object).filter((k) => !known.includes(k));
      if (unknown.length === 0) return done();
      const names = unknown.map((k) => k.slice(0, 100));
      done(new AppError(400, 'invalid_parameter', `unknown parameter${names.length > 1 ? 's' : ''} ${names.join(', ')}; this route takes ${known.join(', ')}`, {
        invalidParams: names.map((name) => ({ name, reason: 'unknown parameter' })),
      }));
    };
    const others = route.preValidation === undefined ? [] : [route.preValidation].flat();
    route.preValidation = [refuseUnknown, ...others];
  });
}
